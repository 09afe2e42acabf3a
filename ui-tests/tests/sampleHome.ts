/**
 * A data scientist's home for the README screenshots: two projects with notebooks that have
 * outputs (tables, plots), data files and a helper module, written as they were on the days of the
 * snapshots (`writeHomeAsOf(home, step)`, step 0 the oldest).
 */
import {
  mkdirSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync
} from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/** The folders and top-level files the home holds (to clean up after the screenshots). */
export const HOME_ENTRIES = [
  'churn-analysis',
  'sales-forecast',
  'utils',
  'requirements.txt'
];

export const EXPLORE = 'churn-analysis/01-explore.ipynb';

type RGB = [number, number, number];

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A bar chart as a PNG (base64), the way matplotlib's output of `plot.bar()` shows in a notebook. */
export function barChart(values: number[], color: RGB): string {
  const width = 420;
  const height = 220;
  const pixels = Buffer.alloc(width * height * 3, 255);
  const fill = (x0: number, y0: number, x1: number, y1: number, c: RGB) => {
    for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) {
        pixels.set(c, (y * width + x) * 3);
      }
    }
  };
  const left = 40;
  const bottom = height - 24;
  const top = 12;
  // Grid lines, then the axes, then the bars.
  for (let i = 1; i <= 4; i++) {
    const y = Math.round(bottom - ((bottom - top) * i) / 4);
    fill(left, y, width - 10, y + 1, [225, 225, 225]);
  }
  fill(left, top, left + 1, bottom + 1, [60, 60, 60]);
  fill(left, bottom, width - 10, bottom + 1, [60, 60, 60]);
  const max = Math.max(...values) * 1.15;
  const slot = (width - 10 - left) / values.length;
  values.forEach((v, i) => {
    const x0 = Math.round(left + slot * i + slot * 0.2);
    const x1 = Math.round(left + slot * (i + 1) - slot * 0.2);
    const y0 = Math.round(bottom - ((bottom - top) * v) / max);
    fill(x0, y0, x1, bottom, color);
    fill(
      x0 + (x1 - x0) / 2 - 1,
      bottom + 1,
      x0 + (x1 - x0) / 2 + 1,
      bottom + 6,
      [60, 60, 60]
    );
  });
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(
      Buffer.from([0]),
      pixels.subarray(y * width * 3, (y + 1) * width * 3)
    );
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0))
  ]).toString('base64');
}

let cellId = 0;

function code(
  source: string,
  count: number,
  outputs: unknown[]
): Record<string, unknown> {
  return {
    cell_type: 'code',
    execution_count: count,
    id: `cell-${++cellId}`,
    metadata: {},
    source,
    outputs
  };
}

function markdown(source: string): Record<string, unknown> {
  return {
    cell_type: 'markdown',
    id: `cell-${++cellId}`,
    metadata: {},
    source
  };
}

const text = (count: number, value: string) => ({
  output_type: 'execute_result',
  execution_count: count,
  data: { 'text/plain': value },
  metadata: {}
});

const stdout = (value: string) => ({
  output_type: 'stream',
  name: 'stdout',
  text: value
});

function notebook(cells: Record<string, unknown>[]): string {
  cellId = 0;
  return JSON.stringify(
    {
      cells,
      metadata: {
        kernelspec: {
          display_name: 'Python 3 (ipykernel)',
          language: 'python',
          name: 'python3'
        },
        language_info: { name: 'python', version: '3.11.9' }
      },
      nbformat: 4,
      nbformat_minor: 5
    },
    null,
    1
  );
}

const REGIONS = ['north', 'south', 'east', 'west'];

/** The exploration notebook as it was at `step` (0 the oldest): the data and the plot change. */
function explore(step: number): string {
  const rates = [
    [0.18, 0.12, 0.15, 0.21],
    [0.17, 0.12, 0.14, 0.22],
    [0.16, 0.11, 0.14, 0.19],
    [0.14, 0.1, 0.12, 0.16]
  ][Math.min(step, 3)];
  const rows = 48_210 + step * 1_223;
  const cells = [
    markdown(
      '# Customer churn — exploration\n' +
        '\n' +
        'Churn by region for the first half of the year, from `data/customers.csv`.'
    ),
    code(
      'import pandas as pd\n\ndf = pd.read_csv("data/customers.csv", parse_dates=["signup"])\ndf.shape',
      1,
      [text(1, `(${rows}, 14)`)]
    ),
    code(
      'churn_by_region = df.groupby("region").churned.mean().round(2)\nchurn_by_region',
      2,
      [
        text(
          2,
          'region\n' +
            REGIONS.map((r, i) => `${r.padEnd(8)}${rates[i]}`).join('\n') +
            '\nName: churned, dtype: float64'
        )
      ]
    ),
    code(
      `ax = churn_by_region.plot.bar(color="${step < 2 ? 'tab:blue' : 'tab:orange'}")\nax.set_ylabel("churn rate");`,
      3,
      [
        {
          output_type: 'display_data',
          data: {
            'image/png': barChart(
              rates,
              step < 2 ? [31, 119, 180] : [255, 127, 14]
            ),
            'text/plain': '<Figure size 640x360 with 1 Axes>'
          },
          metadata: {}
        }
      ]
    )
  ];
  if (step >= 2) {
    cells.push(
      markdown('## A first model'),
      code(
        'from sklearn.linear_model import LogisticRegression\n' +
          'from sklearn.metrics import roc_auc_score\n\n' +
          'model = LogisticRegression(max_iter=500).fit(X_train, y_train)\n' +
          'print(f"AUC {roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]):.3f}")',
        4,
        [stdout(`AUC ${(0.741 + step * 0.013).toFixed(3)}\n`)]
      )
    );
  }
  return notebook(cells);
}

function features(step: number): string {
  return notebook([
    markdown('# Features'),
    code(
      'from utils.plotting import tidy\n\n' +
        'features = ["tenure_months", "monthly_charges", "support_calls"' +
        (step >= 1 ? ', "contract_type"' : '') +
        ']\ndf[features].describe().T.round(1)',
      1,
      [
        text(
          1,
          '                 count   mean    std\n' +
            'tenure_months   48210.0   31.4   24.1\n' +
            'monthly_charges 48210.0   64.8   30.1\n' +
            'support_calls   48210.0    1.6    1.3'
        )
      ]
    )
  ]);
}

function forecast(step: number): string {
  return notebook([
    markdown('# Weekly sales forecast'),
    code(
      'import pandas as pd\n\nsales = pd.read_csv("data/sales_2025.csv", index_col="week")\nsales.tail(3)',
      1,
      [
        text(
          1,
          '        units   revenue\nweek\n' +
            `2025-22  ${4120 + step * 35}  ${(182_300 + step * 1_540).toLocaleString('en-US')}\n` +
            `2025-23  ${4210 + step * 20}  ${(186_050 + step * 980).toLocaleString('en-US')}\n` +
            `2025-24  ${4380 + step * 15}  ${(193_720 + step * 610).toLocaleString('en-US')}`
        )
      ]
    )
  ]);
}

function customers(rows: number): string {
  const lines = [
    'customer_id,signup,region,tenure_months,monthly_charges,churned'
  ];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `${100_000 + i},2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')},` +
        `${REGIONS[i % 4]},${(i * 7) % 72},${(20 + ((i * 13) % 90)).toFixed(2)},${i % 6 === 0 ? 1 : 0}`
    );
  }
  return lines.join('\n') + '\n';
}

function put(home: string, path: string, content: string): void {
  mkdirSync(dirname(join(home, path)), { recursive: true });
  writeFileSync(join(home, path), content);
}

/**
 * Writes the home as it was at `step` of the screenshots' history; `revision` (at least `step`)
 * grows the data files between two snapshots of the same step.
 */
export function writeHomeAsOf(
  home: string,
  step: number,
  revision = step
): void {
  put(home, EXPLORE, explore(step));
  put(home, 'churn-analysis/02-features.ipynb', features(step));
  put(
    home,
    'churn-analysis/data/customers.csv',
    customers(400 + revision * 25)
  );
  put(
    home,
    'churn-analysis/README.md',
    '# Churn analysis\n\nWhich customers leave, and why. Notebooks in order; data in `data/`.\n'
  );
  put(home, 'sales-forecast/forecast.ipynb', forecast(step));
  put(
    home,
    'sales-forecast/data/sales_2025.csv',
    'week,units,revenue\n' +
      Array.from(
        { length: 20 + revision },
        (_, i) =>
          `2025-${String(i + 1).padStart(2, '0')},${3900 + i * 19},${170_000 + i * 880}`
      ).join('\n') +
      '\n'
  );
  put(
    home,
    'utils/plotting.py',
    '"""Small helpers shared by the notebooks."""\n\n\ndef tidy(ax, title=None):\n    ax.spines[["top", "right"]].set_visible(False)\n' +
      (step >= 3 ? '    ax.grid(axis="y", alpha=0.3)\n' : '') +
      '    if title:\n        ax.set_title(title)\n    return ax\n'
  );
  put(
    home,
    'requirements.txt',
    'pandas==2.2.2\nscikit-learn==1.5.0\nmatplotlib==3.9.0\n' +
      (step >= 2 ? 'statsmodels==0.14.2\n' : '')
  );
  if (step >= 1) {
    put(
      home,
      'churn-analysis/data/regions.csv',
      'region,manager\nnorth,A. Okafor\nsouth,M. Silva\neast,J. Chen\nwest,R. Patel\n'
    );
  }
}

/** Dates every file and folder of the home as last changed at `time` (the snapshot's). */
export function touchHome(home: string, time: Date): void {
  const touch = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) {
        touch(join(path, name));
      }
    }
    utimesSync(path, time, time);
  };
  for (const entry of HOME_ENTRIES) {
    touch(join(home, entry));
  }
}
