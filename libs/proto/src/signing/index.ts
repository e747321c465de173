export { CanonicalWriter, SIGNED_MAGIC, SIGNED_LAYOUT_VERSION } from './canonical.js';
export {
  OPERATOR_KEY_PREFIX, ED25519_PUBLIC_KEY_SIZE, ED25519_SIGNATURE_SIZE, OperatorKeyCode, publicKeyToText, publicKeyFromText,
  OperatorSigner, OperatorKeySet, type OperatorSignature,
} from './operator-key.js';
