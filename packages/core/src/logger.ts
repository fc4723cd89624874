import pino from "pino";

/** Keys whose values never reach logs. */
const REDACT = [
  "*.password",
  "*.secret",
  "*.token",
  "*.apiKey",
  "*.api_key",
  "*.authorization",
  "*.signingSecret",
  "*.DATABASE_URL",
  "secret",
  "password",
  "token",
  "*.secret_hash",
  "*.secretHash",
  "*.cookie",
  "err.params",
  "err.query",
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
];

export type Logger = pino.Logger;

/** Structured JSON logs (one object per line) with secrets redacted. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info", destination?: pino.DestinationStream): Logger {
  const opts = { name, level, redact: { paths: REDACT, censor: "[redacted]" }, base: { service: name } };
  // A destination other than stdout: tests capture the output to check what reaches the logs.
  return destination ? pino(opts, destination) : pino(opts);
}

/** Strips credentials from a connection URL before it is logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "[unparseable url]";
  }
}
