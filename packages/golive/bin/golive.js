#!/usr/bin/env node
// golive launcher. It must run on any Node that can parse an ES module (18, 20, ...) long enough to say that
// golive needs a newer one: the compiled CLI and its dependencies use APIs that older versions lack, and a
// TypeError from one of them would otherwise surface as a failure of the target (or a stack trace).
// So: plain JavaScript, no static import, the version check first, then the CLI (build with `tsc -b packages/golive`).
const MIN = [22, 19];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
  process.stderr.write(
    `golive: GOLIVE_ERR_NODE_VERSION: golive needs Node ≥ ${MIN.join('.')}; this is ${process.versions.node}. Install Node 24 LTS (https://nodejs.org, \`nvm install 24\`, or actions/setup-node with node-version: 24) and run golive with it.\n`,
  );
  process.exitCode = 2;
} else {
  await import('../dist/cli/main.js');
}
