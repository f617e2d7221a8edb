import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Db } from '../db/index.ts';

/** One message to send. */
export interface NotifyMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends notifications. `mock` only records them in the outbox table; `smtp` sends and records. */
export interface Notifier {
  readonly mode: 'mock' | 'smtp';
  send(message: NotifyMessage): Promise<{ id: string }>;
  close(): void;
}

/** Builds the notifier for the configured mode. */
export function createNotifier(
  db: Db,
  o: { mode: 'mock' | 'smtp'; smtpUrl?: string | undefined; emailFrom?: string | undefined },
): Notifier {
  const record = async (m: NotifyMessage, mode: string) => {
    const id = randomUUID();
    await db.query('INSERT INTO notify_outbox (id, recipient, subject, body, mode) VALUES ($1, $2, $3, $4, $5)', [
      id,
      m.to,
      m.subject,
      m.text,
      mode,
    ]);
    return { id };
  };
  if (o.mode === 'mock') {
    return { mode: 'mock', send: (m) => record(m, 'mock'), close: () => {} };
  }
  if (!o.smtpUrl || !o.emailFrom) throw new Error('smtp mode needs SMTP_URL and EMAIL_FROM');
  const transport = nodemailer.createTransport(o.smtpUrl);
  const from = o.emailFrom;
  return {
    mode: 'smtp',
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
      return record(m, 'smtp');
    },
    close: () => transport.close(),
  };
}
