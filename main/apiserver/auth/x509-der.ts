// A minimal X.509 v3 certificate writer (RFC 5280, DER) for ECDSA P-256 (and RSA) keys on node:crypto alone:
// loading a general-purpose ASN.1 library costs ~150–350 ms, a large part of the cold-start budget.
import { createHash, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export type NameAttribute = ['CN' | 'O' | 'OU', string];

export interface CertificateTemplate {
  /** Relative distinguished names in order, e.g. [['O', 'system:masters'], ['CN', 'skiff-admin']]. */
  subject: NameAttribute[];
  /** DER of the issuer's subject Name, byte for byte (Go matches parents on the raw bytes). Omit when self-signed. */
  issuerName?: Buffer;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  /** The issuer's private key (the subject's own key when self-signed); ECDSA P-256 or RSA. */
  signingKey: KeyObject;
  isCa: boolean;
  keyUsage: Array<'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign'>;
  extKeyUsage?: Array<'serverAuth' | 'clientAuth'>;
  /** DNS names and IP addresses (v4 or v6) for subjectAltName. */
  subjectAltNames?: string[];
  /** The issuer's subject key identifier; omit when self-signed. */
  authorityKeyId?: Buffer;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

const KEY_USAGE_BITS = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** Builds and signs the certificate; returns it as PEM. */
export function createCertificate(template: CertificateTemplate): string {
  const subject = encodeName(template.subject);
  const subjectKeyId = subjectKeyIdentifier(template.publicKey);
  const extensions: Buffer[] = [
    extension(
      OID.basicConstraints,
      true,
      seq(...(template.isCa ? [tlv(0x01, Buffer.from([0xff]))] : [])),
    ),
    extension(OID.keyUsage, true, keyUsageBits(template.keyUsage)),
  ];
  if (template.extKeyUsage?.length) {
    extensions.push(
      extension(OID.extKeyUsage, false, seq(...template.extKeyUsage.map((u) => oid(OID[u])))),
    );
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, tlv(0x04, subjectKeyId)));
  if (template.authorityKeyId) {
    extensions.push(
      extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, template.authorityKeyId))),
    );
  }
  if (template.subjectAltNames?.length) {
    extensions.push(
      extension(OID.subjectAltName, false, seq(...template.subjectAltNames.map(generalName))),
    );
  }

  // RSA's AlgorithmIdentifier carries an explicit NULL parameter (RFC 4055); ECDSA's none.
  const signatureAlgorithm =
    template.signingKey.asymmetricKeyType === 'rsa'
      ? seq(oid(OID.sha256WithRSAEncryption), tlv(0x05, Buffer.alloc(0)))
      : seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // [0] EXPLICIT version v3
    integer(randomSerial()),
    signatureAlgorithm,
    template.issuerName ?? subject,
    seq(time(template.notBefore), time(template.notAfter)),
    subject,
    template.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)), // [3] EXPLICIT extensions
  );
  // node:crypto signs ECDSA as a DER Ecdsa-Sig-Value and RSA as PKCS #1 v1.5: what X.509 carries.
  const signature = sign('sha256', tbs, template.signingKey);
  const der = seq(tbs, signatureAlgorithm, bitString(signature));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function subjectKeyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const [, keyBits] = children(spki, readTlv(spki, 0));
  // skip the "unused bits" octet of the BIT STRING
  return createHash('sha1')
    .update(spki.subarray(keyBits.contentStart + 1, keyBits.end))
    .digest();
}

/** The DER of a certificate's subject Name, to be used verbatim as the issuer of what it signs. */
export function rawSubjectName(certificateDer: Buffer): Buffer {
  const certificate = readTlv(certificateDer, 0);
  const [tbs] = children(certificateDer, certificate);
  const fields = children(certificateDer, tbs);
  const offset = fields[0].tag === 0xa0 ? 1 : 0; // optional [0] version
  const subject = fields[offset + 4];
  return certificateDer.subarray(subject.start, subject.end);
}

// --- DER encoding --------------------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) {
    header = Buffer.from([tag, length]);
  } else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(items));
}

/** A non-negative INTEGER from big-endian bytes, minimally encoded. */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1] < 0x80) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, trimmed[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [parts[0] * 40 + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let n = part >> 7; n > 0; n >>= 7) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function bitString(content: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = date.getUTCFullYear();
  return year < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

function encodeName(attributes: NameAttribute[]): Buffer {
  const type = { CN: OID.commonName, O: OID.organization, OU: OID.organizationalUnit };
  return seq(
    ...attributes.map(([key, value]) =>
      set(seq(oid(type[key]), tlv(0x0c, Buffer.from(value, 'utf8')))),
    ),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

/** Named BIT STRING in DER: trailing zero bits dropped, unused-bit count set accordingly. */
function keyUsageBits(usages: CertificateTemplate['keyUsage']): Buffer {
  let bits = 0;
  let highest = 0;
  for (const usage of usages) {
    const bit = KEY_USAGE_BITS[usage];
    bits |= 0x80 >> bit;
    highest = Math.max(highest, bit);
  }
  return bitString(Buffer.from([bits]), 7 - highest);
}

function generalName(value: string): Buffer {
  if (isIPv4(value)) return tlv(0x87, Buffer.from(value.split('.').map(Number)));
  if (isIPv6(value)) return tlv(0x87, ipv6Bytes(value));
  return tlv(0x82, Buffer.from(value, 'ascii')); // dNSName [2] IA5String
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  const tail: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) is the last two 16-bit groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, v4.index);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const front = parse(halves[0]);
  const back = halves.length > 1 ? parse(halves[1]) : [];
  const zeros = halves.length > 1 ? 8 - front.length - back.length - tail.length : 0;
  const groups = [...front, ...new Array<number>(zeros).fill(0), ...back, ...tail];
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** A positive 16-byte serial whose DER INTEGER needs no padding (Go rejects non-minimal ones). */
function randomSerial(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x3f) | 0x40;
  return bytes;
}

// --- DER reading (just enough to walk a certificate) --------------------------------------------

interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(buf: Buffer, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[offset];
  let length = buf[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[offset + 2 + i];
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > buf.length) throw new Error('truncated DER');
  return { tag, start: offset, contentStart, end };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end;) {
    const child = readTlv(buf, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}
