import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentSession, hasScope, onSessionChange, Session, signOut } from './api';
import { html } from './components';
import { KeysPage, WebhooksPage } from './pages/access';
import { ImagesPage } from './pages/images';
import { ModelsPage } from './pages/models';
import { ReportsPage } from './pages/reports';
import { SignInPage } from './pages/sign-in';
import { UploadPage } from './pages/upload';

/** Pages by the hash of the URL (`/console#/images`): the server serves one document. */
const PAGES = [
  { path: '/upload', title: 'Upload', Page: UploadPage },
  { path: '/images', title: 'Images', Page: ImagesPage },
  { path: '/models', title: 'Models', Page: ModelsPage },
  { path: '/reports', title: 'Reports', Page: ReportsPage },
  { path: '/keys', title: 'API keys', Page: KeysPage },
  { path: '/webhooks', title: 'Webhooks', Page: WebhooksPage },
];

function currentPath(): string {
  return location.hash.replace(/^#/, '') || PAGES[0].path;
}

function App() {
  const [session, setSession] = useState<Session | null>(currentSession());
  const [path, setPath] = useState(currentPath());
  const main = useRef<HTMLElement>(null);
  useEffect(() => onSessionChange(setSession), []);
  useEffect(() => {
    const onHash = () => setPath(currentPath());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  const title = session ? page.title : 'Sign in';
  // A new page moves focus to its heading, as a page load would for a screen reader.
  useEffect(() => {
    document.title = `${title} · Vireo console`;
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [title]);

  return html`<a
      class="skip"
      href="#main"
      onClick=${(e: Event) => {
        e.preventDefault();
        main.current?.querySelector<HTMLElement>('h1')?.focus();
      }}
      >Skip to content</a
    >
    <header>
      <span class="brand">Vireo console</span>
      ${
        session &&
        html`<nav aria-label="Console">
            <ul>
              ${PAGES.map(
                (p) =>
                  html`<li>
                    <a href=${`#${p.path}`} aria-current=${p === page ? 'page' : undefined}
                      >${p.title}</a
                    >
                  </li>`,
              )}
              ${hasScope('admin') && html`<li><a href="/admin/queues/">Queues</a></li>`}
            </ul>
          </nav>
          <span class="who">${session.email}</span>
          <button type="button" onClick=${() => void signOut()}>Sign out</button>`
      }
    </header>
    <main id="main" ref=${main}>
      ${session ? html`<${page.Page} key=${page.path} />` : html`<${SignInPage} />`}
    </main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
