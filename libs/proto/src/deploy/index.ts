export {
  PROGRAMS_BUCKET, DEPLOYMENT_VERSION, DEPLOYMENT_HISTORY, DeployDecodeCode, isTenantName, deploymentKey, tenantOfKey,
  encodeDeployment, decodeDeployment, type TenantDeployment, type FailVerdict,
} from './deployment.js';
