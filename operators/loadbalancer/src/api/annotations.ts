// Annotations that carry the agent's report on its own pod: the contract between the agent
// (writer) and the controller (reader, through a metadata-only pod cache). A pod annotation
// rather than a status object: it costs no extra kind, the pod already exists and is already
// watched, and it disappears with the pod.

/** The hash (render/hash.ts) of the configuration the agent has applied. */
export const appliedHashAnnotation = 'lb.tugboat.dev/applied-config-hash';

/** Present while the newest configuration is refused: "<hash>: <first line of the reason>". */
export const rejectedAnnotation = 'lb.tugboat.dev/config-rejected';
