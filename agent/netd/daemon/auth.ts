// netd's control-port authentication: every request carries the cluster's secret as a bearer
// token (the agent keeps it in the data dir); anything else is refused before it reaches a module.
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when the Authorization header is exactly `Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!token || typeof header !== 'string') return false;
  const match = /^Bearer (.+)$/.exec(header.trim());
  if (!match) return false;
  // Hashing first gives equal lengths, which timingSafeEqual needs, without leaking the length.
  const given = createHash('sha256').update(match[1]).digest();
  const wanted = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, wanted);
}
