/**
 * Serve a registered model locally and predict, as a user does: register
 * an sklearn model with an input example (a short script against the
 * embedded MLflow server), open version 1 in the Models view, press Serve,
 * wait until `mlflow models serve` answers, predict with the prefilled
 * input example, see MLflow's schema error for a renamed column, and stop
 * it — the process must be gone.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';
import { docShot, openHealthyPanel, runPython } from './helpers';

// Its own name: models.spec deletes version 1 of `tracking-quickstart` on
// the same backend, and a retry must find version 1 again.
const MODEL = 'iris-served';
const FIRST_COLUMN = 'sepal length (cm)';

/**
 * Train a logistic regression on iris and register it as version 1 of a
 * fresh registered model, with a signature and an input example, as
 * `gettingstarted.ipynb` does.
 */
const REGISTER = `
import sys
import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

mlflow.set_tracking_uri(sys.argv[1])
try:
    MlflowClient().delete_registered_model(sys.argv[2])
except MlflowException:
    pass  # not registered yet
mlflow.set_experiment("Serving test")
X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=500).fit(X, y)
with mlflow.start_run():
    mlflow.sklearn.log_model(
        model,
        name="iris_model",
        signature=infer_signature(X, model.predict(X)),
        input_example=X.iloc[:3],
        registered_model_name=sys.argv[2],
    )
`;

interface IServed {
  id: string;
  name: string;
  version: string;
  state: string;
  pid: number | null;
}

async function servedList(request: APIRequestContext): Promise<IServed[]> {
  const response = await request.get('/trackside/api/serving');
  expect(response.ok()).toBe(true);
  return (await response.json()).served;
}

/**
 * Whether a process id is alive on this machine.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The predict form's predictions table: the values of its rows.
 */
async function predictionRows(form: Locator): Promise<string[]> {
  const table = form.getByRole('table', { name: 'Predictions' });
  return table.locator('tbody tr td').allTextContents();
}

test.describe('Serving', () => {
  test.setTimeout(300_000);

  test('serve version 1, predict with its input example, stop', async ({
    page
  }) => {
    const { panel, trackingUri } = await openHealthyPanel(page);
    runPython(REGISTER, [trackingUri, MODEL]);

    // Models → the registered model → version 1 → Serve.
    await panel.getByRole('button', { name: 'Models', exact: true }).click();
    await panel.getByRole('button', { name: MODEL, exact: true }).click();
    await panel
      .getByRole('button', { name: `Open version 1 of ${MODEL}` })
      .click();
    const serve = panel.getByRole('button', {
      name: `Serve ${MODEL} version 1`
    });
    await serve.click();

    // The served models view, with this one selected, starting then ready.
    const served = panel.getByRole('region', { name: 'Served models' });
    await expect(served).toBeVisible();
    const item = served.getByRole('listitem', {
      name: `${MODEL} version 1`
    });
    const state = item.getByRole('status');
    await expect(state).toHaveText(/starting|ready/);
    await expect(state).toHaveText('ready', { timeout: 120_000 });
    const [entry] = (await servedList(page.request)).filter(
      s => s.name === MODEL && s.version === '1'
    );
    expect(entry.state).toBe('ready');
    expect(entry.pid).not.toBeNull();
    expect(isAlive(entry.pid!)).toBe(true);

    // The form is prefilled from the input example: three iris rows.
    const form = served.getByRole('region', {
      name: `Predict with ${MODEL} version 1`
    });
    await expect(form.getByText('Prefilled from')).toBeVisible();
    const editor = form.getByRole('textbox', { name: 'Payload (JSON)' });
    const example = JSON.parse(await editor.inputValue());
    expect(example.dataframe_split.columns[0]).toBe(FIRST_COLUMN);
    expect(example.dataframe_split.data).toHaveLength(3);
    await expect(
      form.getByRole('textbox', { name: 'Name of column 1' })
    ).toHaveValue(FIRST_COLUMN);

    // Predict → one class per row and the latency.
    const predict = form.getByRole('button', { name: 'Predict', exact: true });
    await predict.click();
    const result = form.getByRole('region', { name: 'Prediction result' });
    await expect(result.getByText(/^HTTP 200 in \d+(\.\d)? ms$/)).toBeVisible();
    const predictions = await predictionRows(form);
    expect(predictions).toHaveLength(3);
    for (const value of predictions) {
      expect(['0', '1', '2']).toContain(value);
    }
    await docShot(page, 'serving-predict');

    // A renamed column in the JSON → MLflow's schema enforcement error.
    const renamed = JSON.stringify(
      {
        ...example,
        dataframe_split: {
          ...example.dataframe_split,
          columns: ['sepal size', ...example.dataframe_split.columns.slice(1)]
        }
      },
      null,
      2
    );
    await editor.fill(renamed);
    // The table follows the JSON.
    await expect(
      form.getByRole('textbox', { name: 'Name of column 1' })
    ).toHaveValue('sepal size');
    await predict.click();
    const error = result.getByRole('alert');
    await expect(error).toContainText('Model is missing inputs');
    await expect(error).toContainText(FIRST_COLUMN);
    // MLflow's error code, as it sent it.
    await expect(error.locator('strong')).toHaveText(/^[A-Z_]+$/);
    await expect(result.getByText(/^HTTP 400 in \d+(\.\d)? ms$/)).toBeVisible();
    await expect(form.getByRole('table', { name: 'Predictions' })).toHaveCount(
      0
    );

    // Stop → stopped, and the serving process is gone.
    await item.getByRole('button', { name: `Stop ${MODEL} version 1` }).click();
    await expect(state).toHaveText('stopped', { timeout: 60_000 });
    // The server forgets a stopped model (or lists it stopped).
    const after = (await servedList(page.request)).filter(
      s => s.id === entry.id
    );
    expect(after.filter(s => s.state !== 'stopped')).toEqual([]);
    await expect
      .poll(() => isAlive(entry.pid!), { timeout: 30_000 })
      .toBe(false);
  });
});
