/** The `data` of a `provider-config` result (type only). */
import type { Json } from '../core/result.ts';

/** One configured rule and how it went. */
export type ProviderRuleData = { variable: string; set: boolean; passed: boolean; severity: string };

/** Evidence of the provider policy over golive's own environment (the variables are golive's, not the service's). */
export type ProviderConfigData = {
  /** What was found per provider (presence and classification, never values). */
  config: { [key: string]: Json };
  classification: Json;
  /** Problems when live providers are expected (EXPECT_LIVE=1), as the seed listed them. */
  issues: string[];
  /** The same problems when live providers are not expected. */
  advisories: string[];
  expectLive: boolean;
  allowMock: boolean;
  enforced: boolean;
  environment: string | null;
  rules: ProviderRuleData[];
};
