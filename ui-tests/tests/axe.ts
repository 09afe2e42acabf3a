/** axe-core for the UI tests: what they assert is 0 critical and 0 serious findings. */
import AxeBuilder from '@axe-core/playwright';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

/** The critical and serious findings of axe-core inside `selector`, one line each. */
export async function violations(
  page: IJupyterLabPageFixture,
  selector: string
): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(selector).analyze();
  return result.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(
      v =>
        `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`
    );
}
