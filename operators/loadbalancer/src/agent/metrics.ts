// The agent's own metrics. HAProxy's (connections, requests, servers) come from HAProxy's
// Prometheus exporter on the stats port; these say whether configurations arrive and apply.
import type { Registry } from '@tugboat/runtime/metrics';

export function agentMetrics(registry: Registry) {
  return {
    applies: registry.counter<'method'>({ name: 'tugboat_lb_agent_applies_total', help: 'Configurations applied, by method (start, runtime, reload).', labelNames: ['method'] }),
    rejected: registry.counter({ name: 'tugboat_lb_agent_rejected_configs_total', help: 'Configurations refused by haproxy -c or by a failed reload.' }),
    reloadFailures: registry.counter({ name: 'tugboat_lb_agent_reload_failures_total', help: 'Reloads HAProxy refused; the previous configuration kept serving.' }),
    runtimeFallbacks: registry.counter({ name: 'tugboat_lb_agent_runtime_fallbacks_total', help: 'Runtime API updates that did not take and were replaced by a reload.' }),
    runtimeCommands: registry.counter({ name: 'tugboat_lb_agent_runtime_commands_total', help: 'Runtime API commands sent to HAProxy.' }),
    applyDuration: registry.histogram<'method'>({
      name: 'tugboat_lb_agent_apply_duration_seconds',
      help: 'Time from receiving a configuration to HAProxy serving it.',
      labelNames: ['method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    applied: registry.gauge<'hash'>({ name: 'tugboat_lb_agent_applied_config_info', help: 'The applied configuration (hash label); always 1.', labelNames: ['hash'] }),
    configRejected: registry.gauge({ name: 'tugboat_lb_agent_config_rejected', help: '1 while the newest configuration received is refused.' }),
    lastApply: registry.gauge({ name: 'tugboat_lb_agent_last_apply_timestamp_seconds', help: 'When a configuration was last applied (Unix time).' }),
    haproxyUp: registry.gauge({ name: 'tugboat_lb_agent_haproxy_up', help: '1 while the HAProxy master runs.' }),
    configSource: registry.gauge<'source'>({
      name: 'tugboat_lb_agent_config_source',
      help: 'The configuration source the agent follows (source api or file): 1 for the active one, 0 for the other.',
      labelNames: ['source'],
    }),
    sourceSwitches: registry.counter<'to'>({ name: 'tugboat_lb_agent_config_source_switches_total', help: 'Switches between the API and the mounted files, by the source switched to.', labelNames: ['to'] }),
    apiConnected: registry.gauge({ name: 'tugboat_lb_agent_api_connected', help: '1 while the API source lists and watches the ConfigMap (absent without an API source).' }),
    fileHeldBack: registry.gauge({ name: 'tugboat_lb_agent_file_config_held_back', help: '1 while the agent follows the mounted files but does not apply them, as they may be older than what the API delivered.' }),
  };
}

export type AgentMetrics = ReturnType<typeof agentMetrics>;
