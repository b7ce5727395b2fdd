import { request } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface TlsIdentity {
  ca: string;
  cert?: string;
  key?: string;
  token?: string;
}

export interface SimpleResponse {
  status: number;
  body: string;
}

/** A small HTTPS request for readiness checks and set-up calls; tests use @tugboat/runtime. */
export function httpsRequest(url: string, id: TlsIdentity, method = 'GET', body?: unknown, contentType = 'application/json'): Promise<SimpleResponse> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = {};
    if (id.token) headers['Authorization'] = `Bearer ${id.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['Content-Type'] = contentType;
    }
    const req = request(url, { method, ca: id.ca, cert: id.cert, key: id.key, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timeout`)));
    req.on('error', fail);
    req.end(payload);
  });
}

export function httpPost(url: string, body: unknown): Promise<SimpleResponse> {
  return new Promise((ok, fail) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${url}: timeout`)));
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}
