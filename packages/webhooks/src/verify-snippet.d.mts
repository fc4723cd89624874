/** Types for verify-snippet.mjs (the plain-Node receiver example quoted in the README). */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string | Buffer,
  toleranceSec?: number,
): { type: string; timestamp: string; data: unknown };
