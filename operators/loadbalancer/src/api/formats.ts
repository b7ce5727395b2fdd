// String formats shared by the LB API. Every string that can reach haproxy.cfg is held to a
// small, explicit character set here, at the API, so a bad value is refused by the apiserver
// with a message instead of being escaped into something the user did not mean. The renderer
// quotes and re-checks anyway (defence in depth), but this is the first and main gate.
//
// Each format is a pattern and a maximum length (enforced by the apiserver and by zod alike) plus,
// where a regex cannot say it (an address is canonical, a CIDR has zero host bits, a duration is
// in range), a CEL rule the apiserver evaluates. The same deeper checks run in the webhook
// (validate.ts) through the ipam parsers, so objects built in code are held to them too.
import { z } from 'zod';
import { canonicalIp } from '../ipam/address.js';
import { parseCidr, formatCidr, parseRange } from '../ipam/range.js';

export interface CelRule {
  rule: string;
  message: string;
  /** A field path relative to the schema node, reported instead of the node itself. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** Attaches CEL validation rules (`x-kubernetes-validations`) to a schema. */
export function cel<T extends z.ZodType>(schema: T, ...rules: CelRule[]): T {
  return schema.meta({ 'x-kubernetes-validations': rules });
}

export const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const dnsSubdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const hostnamePattern = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 3986 path characters (pchar and '/'), no query, no fragment, no space, no quote, no '#'. */
export const httpPathPattern = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;
export const headerNamePattern = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
/** Printable ASCII and space, without '"' and '\': header values to match against. */
export const headerValuePattern = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
export const cookieNamePattern = /^[A-Za-z0-9_.-]+$/;
export const redirectUrlPattern =
  /^https?:\/\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?(\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$/;
/** Gateway API's Duration: up to four h/m/s/ms components, e.g. "1m30s". */
export const durationPattern = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
export const expectedCodesPattern = /^[1-5][0-9]{2}(-[1-5][0-9]{2})?(,[1-5][0-9]{2}(-[1-5][0-9]{2})?){0,15}$/;
export const imagePattern = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
export const quantityPattern = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;
export const intOrPercentPattern = /^([0-9]{1,6}|[0-9]{1,2}%|100%)$/;
export const interfaceNamePattern = /^[A-Za-z0-9_.-]{1,15}$/;

export const dnsLabel = z.string().min(1).max(63).regex(dnsLabelPattern, 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit');
export const objectName = z.string().min(1).max(253).regex(dnsSubdomainPattern, 'must be a Kubernetes object name: lower-case letters, digits, "-" and "."');
export const hostname = z.string().min(1).max(253).regex(hostnamePattern, 'must be a lower-case DNS name, optionally starting with "*." (example.com, *.example.com)');
export const exactHostname = z.string().min(1).max(253).regex(dnsSubdomainPattern, 'must be a lower-case DNS name without wildcard (example.com)');
export const httpPath = z.string().min(1).max(1024).regex(httpPathPattern, 'must start with "/" and use only URL path characters (no spaces, quotes, "#", "?" or "\\")');
export const headerName = z.string().min(1).max(64).regex(headerNamePattern, 'must be an HTTP header name of letters, digits and "-" (X-Request-Id)');
export const cookieName = z.string().min(1).max(64).regex(cookieNamePattern, 'must be a cookie name of letters, digits, "_", "." and "-"');
export const redirectUrl = z.string().min(1).max(2048).regex(redirectUrlPattern, 'must be an absolute http(s) URL with a lower-case host (https://example.com/path)');

/** Milliseconds in a Gateway-API style duration, or undefined when the text is not one. */
export function durationMs(text: string): number | undefined {
  if (!durationPattern.test(text)) return undefined;
  const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|h|m|s)/g)) total += Number(m[1]) * unit[m[2] as keyof typeof unit];
  return total;
}

/** HAProxy timers are signed 32-bit milliseconds; a day is far beyond any sane LB timeout. */
export const maxDurationMs = 86_400_000;

export const duration = cel(z.string().max(32).regex(durationPattern, 'must be a duration such as "500ms", "30s", "5m" or "1h30m"'), {
  rule: "duration(self) >= duration('1ms') && duration(self) <= duration('24h')",
  message: 'must be between 1ms and 24h',
});

export const ipAddress = cel(z.string().min(2).max(45).regex(/^[0-9a-fA-F:.]+$/, 'must be an IPv4 or IPv6 address (10.0.0.1, 2001:db8::1)'), {
  rule: 'isIP(self) && ip.isCanonical(self)',
  message: 'must be an IPv4 or IPv6 address in canonical form (10.0.0.1, 2001:db8::1)',
});

export function isCanonicalIp(s: string): boolean {
  return canonicalIp(s) === s;
}

export function isCanonicalCidr(s: string): boolean {
  const c = parseCidr(s);
  return c !== undefined && formatCidr(c) === s;
}

export const cidr = cel(z.string().min(4).max(49).regex(/^[0-9a-fA-F:.]+\/[0-9]{1,3}$/, 'must be a CIDR (10.0.0.0/8, 2001:db8::/32)'), {
  rule: 'isCIDR(self) && cidr(self) == cidr(self).masked()',
  message: 'must be a CIDR with zero host bits (10.0.0.0/8, 2001:db8::/32)',
});

/** A CIDR or an inclusive range of one family, as pools and exclusions are written. */
export function isAddressBlock(s: string): boolean {
  if (s.includes('/')) return isCanonicalCidr(s);
  const r = parseRange(s);
  if (r === undefined) return false;
  const [a, b] = s.split('-');
  return isCanonicalIp(a ?? '') && isCanonicalIp(b ?? '');
}

const blockShape = /^[0-9a-fA-F:.]+(\/[0-9]{1,3}|-[0-9a-fA-F:.]+)$/;

export const addressBlock = cel(z.string().min(4).max(91).regex(blockShape, 'must be a CIDR (10.0.0.0/24) or a range (10.0.0.10-10.0.0.20)'), {
  rule: "isCIDR(self) ? cidr(self) == cidr(self).masked() : (self.split('-').size() == 2 && isIP(self.split('-')[0]) && isIP(self.split('-')[1]) && ip(self.split('-')[0]).family() == ip(self.split('-')[1]).family())",
  message: 'must be a CIDR with zero host bits (10.0.0.0/24) or a range of one family (10.0.0.10-10.0.0.20)',
});

/** An address, a CIDR or a range: what may be excluded from a pool. */
export const addressOrBlock = cel(
  z.string().min(2).max(91).regex(/^[0-9a-fA-F:.]+(\/[0-9]{1,3}|-[0-9a-fA-F:.]+)?$/, 'must be an address, a CIDR or a range'),
  {
    rule: "isIP(self) || (isCIDR(self) ? cidr(self) == cidr(self).masked() : (self.split('-').size() == 2 && isIP(self.split('-')[0]) && isIP(self.split('-')[1])))",
    message: 'must be an address, a CIDR or a range (10.0.0.1, 10.0.0.0/30, 10.0.0.1-10.0.0.9)',
  },
);

export const port = z.int().min(1).max(65535);
