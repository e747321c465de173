/*
 * NATS names of the firewall (issue 13). Rules versions live in a KV bucket with history, one key
 * per tenant, as programs do (deploy/deployment.ts); lists, which reach millions of prefixes, live
 * in an object store, one object per list name (prefix-list-file.ts is the object's layout).
 */

/** KV bucket of rules versions: key `tenant.<name>`, value a RulesDeployment record */
export const RULES_BUCKET = 'fs-rules';
/** revisions kept per tenant: what `rules rollback` and `rules ls` can reach */
export const RULES_HISTORY = 64;
/** object store of prefix lists: object name = list name ([a-z0-9_.], as `$name` in expressions) */
export const LISTS_BUCKET = 'fs-lists';

export const rulesKey = (tenant: string): string => `tenant.${tenant}`;
export const LIST_OBJECT_NAME = /^[a-z0-9_.]{1,64}$/;
