/** Types for build/start.js (plain JavaScript, run by node without a build step). */
export function findElectron(): { path: string; why: undefined } | { path: undefined; why: string };
