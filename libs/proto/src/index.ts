export { DecodeError } from './errors.js';
