import { use_title } from '../components/hooks';

// The slot of a page that a later issue fills (deployments, work pools).
export function Placeholder({ what }: { what: string }) {
  use_title(what);
  return (
    <div class="panel">
      <h1>{what}</h1>
      <p class="muted">This server's API has no {what.toLowerCase()} yet. The page will list them, with "run now" and pause/resume, once the server offers them.</p>
    </div>
  );
}
