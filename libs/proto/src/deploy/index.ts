export {
  PROGRAMS_BUCKET, DEPLOYMENT_VERSION, DEPLOYMENT_HISTORY, MAX_PROGRAM_BUDGET, DeployDecodeCode, isTenantName, deploymentKey, tenantOfKey,
  encodeDeployment, decodeDeployment, deploymentSigningBytes, signDeployment, checkDeploymentSignature, type TenantDeployment, type FailVerdict,
} from './deployment.js';
