/** The dashboard's prefix; its own guard (basic auth or an API key) protects it. */
export const UI_PREFIX = '/ui';

export function isUiPath(path: string): boolean {
  return path === UI_PREFIX || path.startsWith(`${UI_PREFIX}/`);
}
