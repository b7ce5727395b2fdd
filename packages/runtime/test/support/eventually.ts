export { eventually } from '@tugboat/testenv';
