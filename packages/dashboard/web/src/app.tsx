/** The shell: navigation and the page of the current route. */
import { ExecutorsPage } from './executors-page';
import { FilesPage } from './files-page';
import { useRoute } from './router';
import { RunPage } from './run-page';
import { RunsPage } from './runs-page';

const NAVIGATION = [
  { page: 'runs', href: '#/runs', label: 'Runs' },
  { page: 'executors', href: '#/executors', label: 'Executors' },
  { page: 'files', href: '#/files', label: 'Files' },
] as const;

export function App() {
  const route = useRoute();
  const current = route.page === 'run' ? 'runs' : route.page;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/runs">
          Pollinator
        </a>
        <nav aria-label="Main">
          {NAVIGATION.map((item) => (
            <a key={item.page} href={item.href} aria-current={current === item.page ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
      </header>
      <main>
        {route.page === 'runs' && <RunsPage filter={route.filter} />}
        {route.page === 'run' && <RunPage id={route.id} />}
        {route.page === 'executors' && <ExecutorsPage />}
        {route.page === 'files' && <FilesPage />}
      </main>
    </>
  );
}
