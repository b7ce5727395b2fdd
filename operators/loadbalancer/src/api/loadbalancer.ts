// LoadBalancer (lb.tugboat.dev/v1alpha1): one load balancer, served by HAProxy pods on an address
// from an IPPool. The model follows Octavia's (listener → pool → member, health monitor, ordered
// L7 policies) so that users of OpenStack/OVH load balancers find what they know, with two
// deliberate differences: member-side timeouts live on the pool (a pool may serve several
// listeners, and HAProxy sets them per backend), and PROXY protocol is a pool setting.
//
// Every string here that reaches haproxy.cfg has a pattern and a length limit (formats.ts). Rules
// that span fields are CEL where they are cheap for the apiserver, and in validate.ts (the
// webhook) where they are not. List maxima are what keeps CEL within the apiserver's cost
// budget: a rule's estimated cost is multiplied by how many times it can run (32 listeners ×
// 32 policies × 8 rules for an L7 rule), and the CRD is refused when that exceeds the budget.
import { z } from 'zod';
import { defineCustomKind } from '@tugboat/runtime/crd';
import type { ObjectOf } from '@tugboat/runtime';
import { conditionsSchema } from './condition.js';
import {
  cel,
  cidr,
  cookieName,
  dnsLabel,
  duration,
  exactHostname,
  expectedCodesPattern,
  headerName,
  headerValuePattern,
  hostname,
  httpPath,
  ipAddress,
  objectName,
  port,
  redirectUrl,
} from './formats.js';

export const lbGroup = 'lb.tugboat.dev';

export const listenerProtocols = ['TCP', 'HTTP', 'HTTPS'] as const;
export const algorithms = ['RoundRobin', 'LeastConnections', 'SourceIP'] as const;
export const sizes = ['small', 'medium', 'large', 'xlarge'] as const;

export const listenerTimeoutsSchema = z
  .object({
    client: duration.optional().describe('Maximum inactivity on the client side (HAProxy "timeout client"). Default from the LoadBalancerClass (50s).'),
    httpRequest: duration.optional().describe('Maximum time to receive a complete HTTP request head (slowloris protection). HTTP/HTTPS only. Default 10s.'),
    httpKeepAlive: duration.optional().describe('Maximum idle time between two requests on a kept-alive connection. HTTP/HTTPS only. Default 10s.'),
  })
  .describe('Client-side timeouts of a listener.');

export const forwardedHeadersSchema = z
  .object({
    forwardedFor: z.boolean().default(true).describe('Set X-Forwarded-For to the client address (any value sent by the client is removed first).'),
    forwardedProto: z.boolean().default(true).describe('Set X-Forwarded-Proto to http or https.'),
    forwardedPort: z.boolean().default(false).describe('Set X-Forwarded-Port to the listener port.'),
  })
  .describe('X-Forwarded-* headers added to requests sent to members. HTTP/HTTPS listeners only.');

export const secretCertificateSchema = z
  .object({
    secretRef: z.object({ name: objectName.describe('Name of a kubernetes.io/tls Secret in the load balancer\'s namespace.') }).describe('The Secret holding tls.crt and tls.key.'),
    sniHosts: z
      .array(hostname)
      .max(32)
      .optional()
      .describe('Serve this certificate for these TLS server names (wildcards allowed). Default: the names in the certificate. The first certificate is also the default for clients without SNI.'),
  })
  .describe('A certificate from a Secret.');

export const issuerCertificateSchema = z
  .object({
    name: objectName.describe('Name of the cert-manager Issuer or ClusterIssuer.'),
    kind: z.enum(['Issuer', 'ClusterIssuer']).default('Issuer').describe('Issuer (same namespace) or ClusterIssuer.'),
    hostnames: z.array(exactHostname).min(1).max(32).describe('DNS names the certificate is issued for; they must resolve to the load balancer address for HTTP-01.'),
  })
  .describe('A certificate requested from cert-manager; the operator creates the Certificate and serves the Secret it produces.');

export const listenerTlsSchema = cel(
  z
    .object({
      certificates: z.array(secretCertificateSchema).max(16).optional().describe('Certificates from Secrets, selected by SNI. The first one is the default certificate.'),
      issuer: issuerCertificateSchema.optional(),
      minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2').describe('Oldest TLS version accepted.'),
      alpn: z.array(z.enum(['h2', 'http/1.1'])).min(1).max(2).default(['h2', 'http/1.1']).describe('ALPN protocols offered, in order of preference.'),
    })
    .describe('TLS termination for an HTTPS listener.'),
  {
    rule: '(has(self.certificates) && size(self.certificates) > 0) != has(self.issuer)',
    message: 'set exactly one of tls.certificates (Secrets you manage) or tls.issuer (cert-manager issues the certificate)',
  },
);

export const l7RuleSchema = cel(
  z
    .object({
      type: z.enum(['Host', 'Path', 'Header']).describe('What to match: the Host header (without port), the URL path (without query) or a request header.'),
      match: z.enum(['Exact', 'Prefix', 'Suffix', 'Contains']).default('Exact').describe('How value is compared. Host is compared case-insensitively.'),
      headerName: headerName.optional().describe('The header to match; required when type is Header.'),
      value: z.string().min(1).max(256).regex(headerValuePattern, 'must be printable ASCII without double quotes or backslashes').describe('The value to compare against.'),
      invert: z.boolean().default(false).describe('Match when the comparison is false.'),
    })
    .describe('One condition of an L7 policy; all rules of a policy must match.'),
  { rule: "(self.type == 'Header') == has(self.headerName)", message: 'headerName is required for type Header and not allowed otherwise' },
  {
    rule: "self.type != 'Host' || self.value.matches('^[a-z0-9.*-]+$')",
    message: 'a Host rule value must be a lower-case host name (example.com), or a part of one (.example.com) with match Suffix, Prefix or Contains',
    fieldPath: '.value',
  },
  {
    rule: "self.type != 'Path' || self.value.matches('^[A-Za-z0-9._~!$&\\'()*+,;=:@%/-]+$')",
    message: 'a Path rule value must use URL path characters only (no spaces, quotes, "#", "?" or backslashes)',
    fieldPath: '.value',
  },
);

export const redirectSchema = cel(
  z
    .object({
      url: redirectUrl.optional().describe('Redirect to this absolute URL.'),
      prefix: redirectUrl.optional().describe('Redirect to this scheme and host, keeping the request path and query.'),
      scheme: z.enum(['http', 'https']).optional().describe('Redirect to the same URL with this scheme (typically http → https).'),
      statusCode: z.literal([301, 302, 303, 307, 308]).default(302).describe('HTTP status code of the redirect.'),
    })
    .describe('Where a Redirect policy sends the client.'),
  {
    rule: '[has(self.url), has(self.prefix), has(self.scheme)].filter(x, x).size() == 1',
    message: 'set exactly one of redirect.url, redirect.prefix or redirect.scheme',
  },
);

export const l7PolicySchema = cel(
  z
    .object({
      name: dnsLabel.describe('Name of the policy, unique within the listener.'),
      action: z.enum(['ForwardToPool', 'Redirect', 'Reject']).describe('What to do with a request that matches.'),
      pool: dnsLabel.optional().describe('The pool to forward to; required for ForwardToPool.'),
      redirect: redirectSchema.optional(),
      rules: z.array(l7RuleSchema).min(1).max(8).describe('Conditions, all of which must match.'),
    })
    .describe('An L7 policy. Policies are evaluated in list order; the first that matches decides, else the listener\'s defaultPool.'),
  { rule: "(self.action == 'ForwardToPool') == has(self.pool)", message: 'pool is required for action ForwardToPool and not allowed otherwise' },
  { rule: "(self.action == 'Redirect') == has(self.redirect)", message: 'redirect is required for action Redirect and not allowed otherwise' },
);

export const listenerSchema = cel(
  z
    .object({
      name: dnsLabel.describe('Name of the listener, unique within the load balancer.'),
      port: port.describe('Port the load balancer accepts connections on.'),
      protocol: z.enum(listenerProtocols).describe('TCP forwards bytes; HTTP and HTTPS (TLS terminated here) enable L7 policies and X-Forwarded headers.'),
      defaultPool: dnsLabel.optional().describe('Pool for traffic no policy matched. Without it, unmatched HTTP requests get 503.'),
      connectionLimit: z.int().min(1).max(1_000_000).optional().describe('Maximum concurrent connections on this listener; further connections wait in the kernel backlog.'),
      timeouts: listenerTimeoutsSchema.optional(),
      allowedCIDRs: z
        .array(cidr)
        .max(64)
        .optional()
        .describe('Only clients from these networks may connect; others are refused at accept. Empty or absent: everyone.'),
      forwardedHeaders: forwardedHeadersSchema.optional(),
      tls: listenerTlsSchema.optional(),
      policies: z
        .array(l7PolicySchema)
        .max(32)
        .optional()
        .meta({ 'x-kubernetes-list-type': 'atomic' })
        .describe('Ordered L7 policies (HTTP/HTTPS only). Replaced as a whole, as their order is their meaning.'),
    })
    .describe('A port the load balancer accepts traffic on.'),
  { rule: "self.protocol != 'HTTPS' || has(self.tls)", message: 'an HTTPS listener needs tls: reference a Secret in tls.certificates or a cert-manager issuer in tls.issuer' },
  { rule: "self.protocol == 'HTTPS' || !has(self.tls)", message: 'tls is only used by HTTPS listeners; set protocol: HTTPS or remove tls' },
  { rule: "self.protocol != 'TCP' || !has(self.policies) || size(self.policies) == 0", message: 'L7 policies need protocol HTTP or HTTPS; a TCP listener forwards everything to defaultPool' },
  { rule: "self.protocol != 'TCP' || !has(self.forwardedHeaders)", message: 'forwardedHeaders need protocol HTTP or HTTPS; for TCP, use the pool\'s proxyProtocol to pass the client address' },
  { rule: "self.protocol != 'TCP' || has(self.defaultPool)", message: 'a TCP listener needs defaultPool' },
  {
    rule: "self.protocol != 'TCP' || !has(self.timeouts) || (!has(self.timeouts.httpRequest) && !has(self.timeouts.httpKeepAlive))",
    message: 'timeouts.httpRequest and timeouts.httpKeepAlive apply to HTTP/HTTPS listeners only',
  },
  {
    rule: '!has(self.policies) || self.policies.all(p, self.policies.exists_one(q, q.name == p.name))',
    message: 'policy names must be unique within a listener',
  },
);

export const memberSchema = z
  .object({
    address: ipAddress.describe('IP address of the member.'),
    port: port.describe('Port of the member.'),
    weight: z.int().min(0).max(256).default(1).describe('Share of new connections relative to other members; 0 drains the member (no new connections).'),
    backup: z.boolean().default(false).describe('Receives traffic only when every non-backup member is down.'),
  })
  .describe('A static member (backend server) of a pool.');

export const serviceRefSchema = z
  .object({
    name: dnsLabel.describe('Name of a Service in the load balancer\'s namespace; its ready endpoints become members.'),
    port: port.describe('The Service port; members use the matching target port from EndpointSlices.'),
  })
  .describe('Members taken from a Service\'s EndpointSlices, kept current by the operator.');

export const healthMonitorSchema = cel(
  z
    .object({
      type: z.enum(['TCP', 'HTTP', 'HTTPS']).default('TCP').describe('TCP connects; HTTP sends a request; HTTPS sends it over TLS (certificate not verified).'),
      interval: duration.default('5s').describe('Time between two checks of one member.'),
      timeout: duration.default('3s').describe('Time a check may take; must not exceed interval.'),
      rise: z.int().min(1).max(10).default(2).describe('Consecutive successes before a member is marked up.'),
      fall: z.int().min(1).max(10).default(3).describe('Consecutive failures before a member is marked down.'),
      http: z
        .object({
          method: z.enum(['GET', 'HEAD', 'OPTIONS']).default('GET').describe('HTTP method of the check.'),
          path: httpPath.default('/').describe('Path requested.'),
          expectedCodes: z
            .string()
            .max(128)
            .regex(expectedCodesPattern, 'must be codes or ranges separated by commas: 200, 200-299, 200,204')
            .default('200')
            .describe('Status codes meaning healthy: "200", "200-299" or "200,204".'),
          host: exactHostname.optional().describe('Host header sent with the check.'),
        })
        .optional()
        .describe('Request details for HTTP and HTTPS checks.'),
    })
    .describe('How the load balancer checks that members are healthy.'),
  { rule: "self.type != 'TCP' || !has(self.http)", message: 'http settings apply to HTTP and HTTPS health monitors only' },
  { rule: 'duration(self.timeout) <= duration(self.interval)', message: 'timeout must not exceed interval' },
);

export const sessionPersistenceSchema = cel(
  z
    .object({
      type: z.enum(['SourceIP', 'HTTPCookie', 'AppCookie']).describe('SourceIP pins by client address; HTTPCookie inserts a cookie naming the member; AppCookie follows a cookie set by the application.'),
      cookieName: cookieName.optional().describe('Cookie to insert (HTTPCookie, default TBLB) or to follow (AppCookie, required).'),
      timeout: duration.default('30m').describe('How long an idle client stays pinned (SourceIP and AppCookie).'),
    })
    .describe('Keeps a client on the same member.'),
  { rule: "self.type != 'AppCookie' || has(self.cookieName)", message: 'AppCookie persistence needs cookieName: the cookie your application sets' },
  { rule: "self.type != 'SourceIP' || !has(self.cookieName)", message: 'cookieName does not apply to SourceIP persistence' },
);

export const poolSchema = cel(
  z
    .object({
      name: dnsLabel.describe('Name of the pool, unique within the load balancer.'),
      algorithm: z.enum(algorithms).default('RoundRobin').describe('How new connections are spread over members.'),
      proxyProtocol: z.enum(['None', 'V1', 'V2']).default('None').describe('Send the PROXY protocol header (v1 text, v2 binary) to members, so they see the client address.'),
      sessionPersistence: sessionPersistenceSchema.optional(),
      members: z
        .array(memberSchema)
        .max(256)
        .optional()
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['address', 'port'] })
        .describe('Static members. Exactly one of members or serviceRef.'),
      serviceRef: serviceRefSchema.optional(),
      healthMonitor: healthMonitorSchema.optional(),
      timeouts: z
        .object({
          connect: duration.optional().describe('Maximum time to connect to a member. Default from the LoadBalancerClass (5s).'),
          server: duration.optional().describe('Maximum inactivity on the member side. Default from the LoadBalancerClass (50s).'),
        })
        .optional()
        .describe('Member-side timeouts.'),
      serverSlots: z
        .int()
        .min(1)
        .max(1024)
        .optional()
        .describe('Minimum server slots kept in HAProxy for this pool. Member changes within the slots apply without a reload. Default: the next power of two of the member count, at least 8.'),
    })
    .describe('A group of members that receives traffic.'),
  { rule: 'has(self.members) != has(self.serviceRef)', message: 'set exactly one of members (static addresses) or serviceRef (a Service\'s endpoints)' },
);

export const loadBalancerSpecSchema = cel(
  z
    .object({
      className: objectName.default('default').describe('The LoadBalancerClass: HAProxy image, tuning and rollout policy.'),
      ipPool: objectName.describe('The IPPool the address is allocated from.'),
      address: ipAddress.optional().describe('A specific address from the pool. Default: the lowest free one.'),
      replicas: z.int().min(1).max(16).default(2).describe('HAProxy pods serving the address.'),
      size: z.enum(sizes).default('small').describe('Resources and connection capacity per replica, as defined by the class.'),
      listeners: z
        .array(listenerSchema)
        .min(1)
        .max(32)
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
        .describe('Ports the load balancer accepts traffic on.'),
      pools: z
        .array(poolSchema)
        .min(1)
        .max(64)
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
        .describe('Groups of members listeners and policies send traffic to.'),
    })
    .describe('The desired load balancer.'),
  { rule: 'self.listeners.all(l, self.listeners.exists_one(m, m.port == l.port))', message: 'listener ports must be unique: two listeners use the same port', fieldPath: '.listeners' },
  {
    rule: 'self.listeners.all(l, !has(l.defaultPool) || self.pools.exists(p, p.name == l.defaultPool))',
    message: 'every listener defaultPool must name a pool in spec.pools',
    fieldPath: '.listeners',
  },
);

export const loadBalancerStatusSchema = z
  .object({
    observedGeneration: z.int().min(0).optional().describe('The .metadata.generation this status describes.'),
    addresses: z.array(z.string().max(45)).max(8).optional().describe('Addresses the load balancer serves on.'),
    address: z.string().max(45).optional().describe('The allocated address (the first of addresses).'),
    ready: z.string().max(16).optional().describe('Ready replicas over desired, e.g. 2/2.'),
    configHash: z.string().max(64).optional().describe('Hash of the rendered HAProxy configuration the pods should run.'),
    appliedConfigHash: z.string().max(64).optional().describe('Hash every replica has applied; equal to configHash once the rollout is complete.'),
    classGeneration: z.int().min(0).optional().describe('Generation of the LoadBalancerClass the pods are rendered from (lags the class while a fleet rollout holds this load balancer back).'),
    settledClassGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('Newest LoadBalancerClass generation this load balancer has been Ready and done progressing on; a fleet rollout counts it as updated from then on, through later blips.'),
    conditions: conditionsSchema.optional(),
  })
  .describe('The observed state of the load balancer.');

export type LoadBalancerSpec = z.output<typeof loadBalancerSpecSchema>;
export type LoadBalancerSpecInput = z.input<typeof loadBalancerSpecSchema>;
export type LoadBalancerStatus = z.output<typeof loadBalancerStatusSchema>;
export type Listener = LoadBalancerSpec['listeners'][number];
export type Pool = LoadBalancerSpec['pools'][number];
export type Member = NonNullable<Pool['members']>[number];
export type L7Policy = NonNullable<Listener['policies']>[number];
export type L7Rule = L7Policy['rules'][number];
export type HealthMonitor = NonNullable<Pool['healthMonitor']>;

export const LoadBalancer = defineCustomKind({
  group: lbGroup,
  kind: 'LoadBalancer',
  plural: 'loadbalancers',
  scope: 'Namespaced',
  shortNames: ['lb'],
  categories: ['tugboat'],
  description: 'A load balancer served by HAProxy pods on an address from an IPPool.',
  printerColumns: [
    { name: 'Addresses', type: 'string', jsonPath: '.status.address' },
    { name: 'Ready', type: 'string', jsonPath: '.status.ready' },
    { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    // Age before the -o wide columns, as kubectl shows built-in kinds.
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Class', type: 'string', jsonPath: '.spec.className', priority: 1 },
    { name: 'Class-Gen', type: 'integer', jsonPath: '.status.classGeneration', priority: 1 },
    { name: 'Settled-Gen', type: 'integer', jsonPath: '.status.settledClassGeneration', priority: 1 },
  ],
  versions: [{ name: 'v1alpha1', spec: loadBalancerSpecSchema, status: loadBalancerStatusSchema }],
});
export type LoadBalancer = ObjectOf<typeof LoadBalancer>;
