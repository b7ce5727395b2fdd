// @tugboat/harbor-operator: the API kinds, the pure renderers' entry point, and the operator.
export * from './api/index.js';
export { renderHarbor, type RenderedRegistry } from './render/render.js';
export { startHarborOperator, installHarborCRDs, harborKinds, type HarborOperator, type HarborOperatorOptions } from './operator.js';
export { optionsFromArgs } from './flags.js';
export { registryFinalizer } from './controllers/registry-cleanup.js';
export { harborWebhookServer, webhookConfigurationName } from './webhook/server.js';
