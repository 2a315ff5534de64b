import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A local SMTP server that accepts every message and keeps it in memory: what the example
 * configuration's `alerts.email.smtp` points at under `ml-connector sim` and in the demo, so an
 * alert is really sent and can be read, instead of a refused connection. Any user name and
 * password are accepted (AUTH PLAIN/LOGIN without TLS, as on a loopback relay); STARTTLS is not
 * offered, so nodemailer's `secure: false` talks plain SMTP to it.
 */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  /** The whole message as sent (headers and body). */
  raw: string;
  at: number;
}

export interface SmtpSink {
  host: string;
  port: number;
  messages: ReceivedMail[];
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  port?: number;
  host?: string;
  /** Called with every message received (sim prints a line). */
  onMessage?: (mail: ReceivedMail) => void;
  /** Messages kept in memory (oldest dropped first). Default 200. */
  keep?: number;
}

function headerValue(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  // Folded header lines continue with whitespace (RFC 5322 §2.2.3).
  const m = new RegExp(`^${name}:([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, 'im').exec(head);
  return (m?.[1] ?? '').replace(/\r?\n[ \t]/g, ' ').trim();
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const keep = options.keep ?? 200;
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'sim' }),
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: headerValue(raw, 'Subject'),
          raw,
          at: Date.now(),
        };
        messages.push(mail);
        if (messages.length > keep) messages.shift();
        options.onMessage?.(mail);
        callback();
      });
    },
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    host,
    port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
