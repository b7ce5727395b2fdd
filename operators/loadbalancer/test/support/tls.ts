// A throwaway CA and a server certificate signed by it, made with the openssl CLI, so curl can
// verify the LB's certificate for real (--cacert) instead of skipping verification.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';

const run = promisify(execFile);

export interface TestCertificate {
  caFile: string;
  /** Certificate PEM; its key is in `${certFile}.key`, where HAProxy looks for it. */
  certFile: string;
}

export async function makeCertificate(dir: string, hostnames: string[]): Promise<TestCertificate> {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const cert = join(dir, 'site.pem');
  const csr = join(dir, 'site.csr');
  const ext = join(dir, 'site.ext');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=tugboat test CA']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${cert}.key`, '-out', csr, '-subj', `/CN=${hostnames[0]}`]);
  await writeFile(ext, `subjectAltName=${hostnames.map((h) => `DNS:${h}`).join(',')}\n`);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { caFile: ca, certFile: cert };
}
