export { RULES_BUCKET, RULES_HISTORY, LISTS_BUCKET, LIST_OBJECT_NAME, rulesKey } from './names.js';
export {
  PREFIX_LIST_MAGIC, PREFIX_LIST_VERSION, PREFIX_LIST_HEADER_SIZE, MAX_LIST_PREFIXES, ListDecodeCode, encodePrefixList, decodePrefixList,
  type PrefixListData,
} from './prefix-list-file.js';
export {
  RULES_RECORD_VERSION, RulesDecodeCode, encodeRulesDeployment, decodeRulesDeployment, rulesSigningBytes, signRulesDeployment,
  checkRulesSignature, type RulesDeployment, type ListPin,
} from './rules-record.js';
