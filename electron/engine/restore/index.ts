// Restore (issue 16): browse a target, compare with the local folder, list earlier versions, and pull files
// back. The public entry points; see ./types.ts for the data.
export * from './types.js';
export { accessFromUrl, targetAccess } from './access.js';
export { listRemote, listVersionedChildren, listVersions, searchRemote } from './browse.js';
export { compareLocal } from './compare.js';
export { parseListOutput } from './list-output.js';
export { restore } from './pull.js';
