export {
  PROGRAMS_BUCKET, DEPLOYMENT_VERSION, DEPLOYMENT_HISTORY, MAX_PROGRAM_BUDGET, DeployDecodeCode, isTenantName, deploymentKey, tenantOfKey,
  encodeDeployment, decodeDeployment, deploymentSigningBytes, signDeployment, checkDeploymentSignature, type TenantDeployment, type FailVerdict,
} from './deployment.js';
export { PROGRAM_NAME, isProgramName, namedProgramKey, namedProgramOfKey, namedProgramSigningBytes, signNamedProgram, checkNamedProgramSignature } from './named-program.js';
