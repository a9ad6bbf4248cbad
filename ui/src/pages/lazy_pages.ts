import { lazy } from '../components/Lazy';

// The automation pages as lazily loaded components (one chunk for all).
const mod = () => import('./automation');
export const Deployments = lazy(() => mod().then((m) => m.Deployments));
export const DeploymentPage = lazy(() => mod().then((m) => m.DeploymentPage));
export const WorkPools = lazy(() => mod().then((m) => m.WorkPools));
export const WorkPoolPage = lazy(() => mod().then((m) => m.WorkPoolPage));
export const ConcurrencyLimits = lazy(() => mod().then((m) => m.ConcurrencyLimits));
export const Artifacts = lazy(() => mod().then((m) => m.Artifacts));
export const FlowRunArtifacts = lazy(() => mod().then((m) => m.FlowRunArtifacts));
