// The Trivy adapter is configured by environment only (SCANNER_*). Its Redis URLs carry the
// password reference and are set by the workload.
import type { RenderInput } from './input.js';
import { ports } from './endpoints.js';

export const trivyCacheDir = '/home/scanner/.cache';

export function trivyEnv(input: RenderInput): Record<string, string> {
  return {
    SCANNER_API_SERVER_ADDR: `:${ports.trivy}`,
    SCANNER_LOG_LEVEL: input.registry.spec.logLevel === 'warning' ? 'warn' : input.registry.spec.logLevel,
    SCANNER_TRIVY_CACHE_DIR: `${trivyCacheDir}/trivy`,
    SCANNER_TRIVY_REPORTS_DIR: `${trivyCacheDir}/reports`,
    SCANNER_TRIVY_DEBUG_MODE: 'false',
    SCANNER_TRIVY_VULN_TYPE: 'os,library',
    SCANNER_TRIVY_SEVERITY: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
    SCANNER_TRIVY_IGNORE_UNFIXED: 'false',
    SCANNER_TRIVY_SKIP_UPDATE: 'false',
    SCANNER_TRIVY_SKIP_JAVA_DB_UPDATE: 'false',
    SCANNER_TRIVY_OFFLINE_SCAN: 'false',
    SCANNER_TRIVY_SECURITY_CHECKS: 'vuln',
    SCANNER_TRIVY_INSECURE: 'false',
    SCANNER_TRIVY_TIMEOUT: '5m0s',
    // One scan at a time per pod: concurrent scans can corrupt trivy.db (the archived
    // harbor-operator sets the same, for the same reason).
    SCANNER_JOB_QUEUE_WORKER_CONCURRENCY: '1',
  };
}
