/**
 * Hash routes, so that the built renderer works from Electron's app protocol and from the browser
 * host alike, and a notification click can open `#/dashboard?cluster=NAME`.
 */
export type View = 'machines' | 'create' | 'adopt' | 'dashboard' | 'settings';

const VIEWS: readonly View[] = ['machines', 'create', 'adopt', 'dashboard', 'settings'];

export interface Route {
  readonly view: View;
  readonly cluster: string | null;
}

/** Parses `#/dashboard?cluster=lab`; anything unknown is the machines view. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const view = (VIEWS as readonly string[]).includes(path) ? (path as View) : 'machines';
  const cluster = new URLSearchParams(query).get('cluster');
  return { view, cluster: cluster && cluster.length > 0 ? cluster : null };
}

export function formatRoute(route: Route): string {
  return `#/${route.view}${route.cluster ? `?cluster=${encodeURIComponent(route.cluster)}` : ''}`;
}

export class Router {
  route = $state.raw<Route>(parseRoute(location.hash));

  /** Follows `hashchange` until `signal` aborts. */
  listen(signal: AbortSignal): void {
    window.addEventListener(
      'hashchange',
      () => {
        this.route = parseRoute(location.hash);
      },
      { signal },
    );
  }

  go(view: View, cluster: string | null = null): void {
    const next = formatRoute({ view, cluster });
    if (location.hash !== next) {
      location.hash = next;
    }
    this.route = { view, cluster };
  }
}
