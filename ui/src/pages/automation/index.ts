// The automation pages (deployments, work pools, concurrency limits,
// artifacts): one chunk, loaded when one of them is first shown.
export { Deployments } from './Deployments';
export { DeploymentPage } from './Deployment';
export { WorkPools, WorkPoolPage } from './WorkPools';
export { ConcurrencyLimits } from './ConcurrencyLimits';
export { Artifacts, FlowRunArtifacts } from './Artifacts';
