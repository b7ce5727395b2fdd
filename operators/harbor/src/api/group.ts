/** The API group and version every Tugboat Harbor kind lives in. */
export const group = 'registry.tugboat.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
