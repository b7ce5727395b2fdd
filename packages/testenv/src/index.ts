export * from './binaries.js';
export * from './controlplane.js';
export * from './kubeconfig.js';
export * from './pki.js';
export * from './ports.js';
export * from './process.js';
