// IP and CIDR checks of apimachinery util/validation/ip.go and core validation's
// ValidateNonSpecialIP, on a small runtime-free address parser (no node:net).

import { invalid, type Path } from './field.ts';
import type { FieldError } from '../../api/status.ts';

/** Address bytes: 4 for IPv4, 16 for IPv6. */
export type IPBytes = number[];

function parseIPv4(s: string, allowLeadingZeros: boolean): IPBytes | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    if (!allowLeadingZeros && p.length > 1 && p[0] === '0') return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIPv6(s: string, allowLeadingZeros: boolean): IPBytes | undefined {
  if (s.includes('%')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (text: string): number[] | undefined => {
    if (text === '') return [];
    const out: number[] = [];
    const groups = text.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g, allowLeadingZeros);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    groups = head;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

/** netutils.ParseIPSloppy (leading zeros allowed in IPv4) or the strict netip form. */
export function parseIP(s: string, strict = false): IPBytes | undefined {
  if (s.includes(':')) return parseIPv6(s, !strict);
  return parseIPv4(s, !strict);
}

export function isIPv4Mapped(ip: IPBytes): boolean {
  return (
    ip.length === 16 && ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff
  );
}

/** net.IP.String(): dotted IPv4 (also for v4-mapped), RFC 5952 for IPv6. */
export function formatIP(ip: IPBytes): string {
  if (ip.length === 4) return ip.join('.');
  if (isIPv4Mapped(ip)) return ip.slice(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i] << 8) | ip[i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function isIPv6String(s: string): boolean {
  const ip = parseIP(s);
  return ip !== undefined && ip.length === 16 && !isIPv4Mapped(ip);
}

/** validation.IsValidIP: strict parse, canonical form required. */
export function isValidIP(path: Path, value: string): FieldError[] {
  const ip = parseIP(value);
  if (!ip)
    return [invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
  const errs: FieldError[] = [];
  const strict = parseIP(value, true);
  if (!strict) errs.push(invalid(path, value, 'must not have leading 0s'));
  if (strict && isIPv4Mapped(strict)) {
    errs.push(invalid(path, value, 'must not be an IPv4-mapped IPv6 address'));
  }
  if (errs.length) return errs;
  const canonical = formatIP(ip);
  if (canonical !== value)
    errs.push(invalid(path, value, `must be in canonical form ("${canonical}")`));
  return errs;
}

/** A parsed CIDR: the masked network address and prefix length. */
export interface CIDR {
  ip: IPBytes;
  bits: number;
}

export function parseCIDR(s: string, strict = false): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash), strict);
  const lenText = s.slice(slash + 1);
  if (!ip || !/^[0-9]+$/.test(lenText)) return undefined;
  if (strict && lenText.length > 1 && lenText[0] === '0') return undefined;
  const bits = Number(lenText);
  if (bits > ip.length * 8) return undefined;
  return { ip: maskIP(ip, bits), bits };
}

function maskIP(ip: IPBytes, bits: number): IPBytes {
  return ip.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return keep === 8 ? b : b & ((0xff << (8 - keep)) & 0xff);
  });
}

export function cidrContains(c: CIDR, ip: IPBytes): boolean {
  if (c.ip.length !== ip.length) return false;
  const masked = maskIP(ip, c.bits);
  return masked.every((b, i) => b === c.ip[i]);
}

/** validation.IsValidCIDR (strict, canonical). */
export function isValidCIDR(path: Path, value: string): FieldError[] {
  const c = parseCIDR(value);
  if (!c) {
    return [
      invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'),
    ];
  }
  const slash = value.indexOf('/');
  const strictIP = parseIP(value.slice(0, slash), true);
  const strict = parseCIDR(value, true);
  if (!strict) return [invalid(path, value, 'must not have leading 0s in IP or prefix length')];
  if (strictIP && isIPv4Mapped(strictIP)) {
    return [invalid(path, value, 'must not have an IPv4-mapped IPv6 address')];
  }
  if (strictIP && strictIP.some((b, i) => b !== strict.ip[i])) {
    return [invalid(path, value, 'must not have bits set beyond the prefix length')];
  }
  const canonical = `${formatIP(c.ip)}/${c.bits}`;
  if (canonical !== value)
    return [invalid(path, value, `must be in canonical form ("${canonical}")`)];
  return [];
}

/** IsValidCIDRForLegacyField without strict validation: only parseability. */
export function isValidCIDRLegacy(path: Path, value: string): FieldError[] {
  return parseCIDR(value)
    ? []
    : [invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/** core validation's ValidateNonSpecialIP. */
export function validateNonSpecialIP(value: string, path: Path): FieldError[] {
  const ip = parseIP(value);
  if (!ip) return [invalid(path, value, 'must be a valid IP address')];
  const v4 = ip.length === 4 ? ip : isIPv4Mapped(ip) ? ip.slice(12) : undefined;
  const errs: FieldError[] = [];
  const unspecified = v4 ? v4.every((b) => b === 0) : ip.every((b) => b === 0);
  const loopback = v4 ? v4[0] === 127 : ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1;
  const linkLocalUnicast = v4
    ? v4[0] === 169 && v4[1] === 254
    : ip[0] === 0xfe && (ip[1] & 0xc0) === 0x80;
  const linkLocalMulticast = v4
    ? v4[0] === 224 && v4[1] === 0 && v4[2] === 0
    : ip[0] === 0xff && (ip[1] & 0x0f) === 0x02;
  if (unspecified) errs.push(invalid(path, value, `may not be unspecified (${value})`));
  if (loopback) {
    errs.push(invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  }
  if (linkLocalUnicast) {
    errs.push(
      invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'),
    );
  }
  if (linkLocalMulticast) {
    errs.push(
      invalid(
        path,
        value,
        'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
      ),
    );
  }
  return errs;
}
