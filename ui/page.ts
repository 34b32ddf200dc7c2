// The inspection UI page, a static asset read once at load: one self-contained HTML file (inline
// CSS and JS, no external assets) served by every proxy at GET /ui.
import { readFileSync } from 'node:fs';

export const UI_PAGE_HTML: string = readFileSync(new URL('./index.html', import.meta.url), 'utf8');
