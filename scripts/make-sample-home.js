#!/usr/bin/env node
// Writes a small sample Studio home (notebooks, data, a hidden folder) for the demo.
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const home = process.argv[2];
if (!home) {
  console.error('usage: make-sample-home.js DIR');
  process.exit(1);
}

function notebook(title, code) {
  return JSON.stringify(
    {
      cells: [
        { cell_type: 'markdown', metadata: {}, source: [`# ${title}`] },
        {
          cell_type: 'code',
          execution_count: null,
          metadata: {},
          outputs: [],
          source: [code]
        }
      ],
      metadata: {
        kernelspec: {
          name: 'python3',
          display_name: 'Python 3',
          language: 'python'
        }
      },
      nbformat: 4,
      nbformat_minor: 5
    },
    null,
    1
  );
}

const files = {
  'analysis.ipynb': notebook(
    'Churn analysis',
    "import pandas as pd\ndf = pd.read_csv('data/customers.csv')"
  ),
  'experiments/train.ipynb': notebook('Training', 'model.fit(X, y)'),
  'experiments/params.yaml': 'learning_rate: 0.01\nepochs: 20\n',
  'src/features.py':
    'def add_ratio(df):\n    df["ratio"] = df.a / df.b\n    return df\n',
  'README.md': '# My project\n\nNotes about the churn model.\n',
  '.config/settings.json': '{"theme": "dark"}\n'
};
let rows = 'id,age,plan,monthly_spend\n';
for (let i = 1; i <= 2000; i++) {
  rows += `${i},${20 + (i % 50)},${['basic', 'pro', 'team'][i % 3]},${((i * 37) % 500) / 10}\n`;
}
files['data/customers.csv'] = rows;

for (const [path, content] of Object.entries(files)) {
  mkdirSync(join(home, path, '..'), { recursive: true });
  writeFileSync(join(home, path), content);
}
console.log(
  `Sample home written to ${home} (${Object.keys(files).length} files)`
);
