import { render } from 'preact';
import './styles.css';
import { intercept_links, match, use_location } from './lib/router';
import { KeyPrompt } from './components/KeyPrompt';
import { Dashboard } from './pages/Dashboard';
import { FlowRuns } from './pages/FlowRuns';
import { FlowRunPage } from './pages/FlowRun';
import { TaskRunPage } from './pages/TaskRun';
import { Compare } from './pages/Compare';
import { Results } from './pages/Results';
import { Artifacts, ConcurrencyLimits, DeploymentPage, Deployments, WorkPoolPage, WorkPools } from './pages/lazy_pages';

// Navigation: the pages of runs, then the automation pages (deployments, work
// pools, concurrency limits, artifacts), whose code loads when first shown.
const NAV: { href: string; label: string; automation?: boolean }[] = [
  { href: '/', label: 'Dashboard' },
  { href: '/flow-runs', label: 'Flow runs' },
  { href: '/compare', label: 'Compare' },
  { href: '/results', label: 'Cache & results' },
  { href: '/artifacts', label: 'Artifacts' },
  { href: '/deployments', label: 'Deployments', automation: true },
  { href: '/work-pools', label: 'Work pools', automation: true },
  { href: '/concurrency-limits', label: 'Concurrency limits', automation: true },
];

function App() {
  const loc = useLocationSafe();
  const path = loc.path.replace(/\/+$/, '') || '/';
  let page;
  let m: Record<string, string> | null;
  if (path === '/') page = <Dashboard />;
  else if (path === '/flow-runs') page = <FlowRuns query={loc.query} />;
  else if ((m = match('/flow-runs/:id', path))) page = <FlowRunPage key={m.id} id={m.id} query={loc.query} />;
  else if ((m = match('/task-runs/:id', path))) page = <TaskRunPage key={m.id} id={m.id} />;
  else if (path === '/compare') page = <Compare query={loc.query} />;
  else if (path === '/results') page = <Results query={loc.query} />;
  else if (path === '/deployments') page = <Deployments query={loc.query} />;
  else if ((m = match('/deployments/:name', path))) page = <DeploymentPage key={m.name} name={m.name} />;
  else if (path === '/work-pools') page = <WorkPools />;
  else if ((m = match('/work-pools/:name', path))) page = <WorkPoolPage key={m.name} name={m.name} />;
  else if (path === '/concurrency-limits') page = <ConcurrencyLimits />;
  else if (path === '/artifacts') page = <Artifacts query={loc.query} />;
  else page = <div class="panel"><h1>Not found</h1><p>No page at <code>{path}</code>. <a href="/">Go to the dashboard</a>.</p></div>;
  const section = path === '/' ? '/' : '/' + path.split('/')[1];
  return (
    <div class="layout">
      <a class="skip" href="#main">Skip to content</a>
      <nav class="side" aria-label="Main">
        <a class="brand" href="/">baton</a>
        <ul>
          {NAV.filter((n) => !n.automation).map((n) => (
            <li key={n.href}><a href={n.href} aria-current={section === n.href || (n.href === '/flow-runs' && section === '/task-runs') ? 'page' : undefined}>{n.label}</a></li>))}
        </ul>
        <div class="section">Automation</div>
        <ul>
          {NAV.filter((n) => n.automation).map((n) => (
            <li key={n.href}><a href={n.href} aria-current={section === n.href ? 'page' : undefined}>{n.label}</a></li>))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>{page}</main>
      <KeyPrompt />
    </div>
  );
}
const useLocationSafe = use_location;

intercept_links();
render(<App />, document.getElementById('app')!);
