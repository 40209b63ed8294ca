/**
 * The model view against the real embedded MLflow server: a sklearn model
 * logged from Python (MLflow 3 LoggedModel with an input example) shows
 * in its run's "Logged models"; its signature and input example show;
 * Register from the run detail creates version 1 in MLflow; the load
 * snippet goes below the active notebook cell and loads the model; text,
 * image, CSV and notebook previews; HTML only downloadable.
 */
import { expect, test } from '@jupyterlab/galata';
import { docShot, openHealthyPanel, runPython } from './helpers';

const EXPERIMENT = 'galata-model-view';
const RUN = 'galata-model-run';
const MODEL_NAME = 'iris_model';
const XSS = '<img src=x onerror=alert(1)>';

/**
 * Log a run with a sklearn model (with an input example), a text file, a
 * PNG figure, a CSV file, a notebook with an HTML output and an HTML file,
 * as a user's own script would.
 */
const LOG_MODEL = `
import json
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"language_info": {"name": "python"}},
    "cells": [{
        "cell_type": "code", "id": "c1", "execution_count": 1, "metadata": {},
        "source": "print('trained')",
        "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "trained\\n"},
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": sys.argv[5]}},
        ],
    }],
}
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment(sys.argv[2])
X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=300).fit(X, y)
with mlflow.start_run(run_name=sys.argv[3]):
    mlflow.sklearn.log_model(model, name=sys.argv[4], input_example=X.head(3))
    mlflow.log_text("print('hello from a cell')\\n", "cells/cell_1.py")
    figure, axes = plt.subplots(figsize=(2, 2))
    axes.plot([0, 1, 2], [2, 1, 3])
    mlflow.log_figure(figure, "plots/curve.png")
    mlflow.log_text("a,b\\n1,x\\n2,y\\n", "data/rows.csv")
    mlflow.log_text(json.dumps(NOTEBOOK), "notebooks/train.ipynb")
    mlflow.log_text(sys.argv[5], "report.html")
`;

/**
 * Fail unless MLflow has version 1 of the registered model, pointing at a
 * logged model.
 */
const CHECK_VERSION = `
import sys
from mlflow import MlflowClient
version = MlflowClient(sys.argv[1]).get_model_version(sys.argv[2], "1")
assert version.source.startswith("models:/m-"), version.source
assert version.run_id, "the version has no run"
`;

test.use({ mockUser: false });

test.describe('Trackside model view', () => {
  test('logged model: list, signature, example, register, snippet, previews', async ({
    page
  }) => {
    // Logging the model from Python and loading it in the kernel take time.
    test.setTimeout(420_000);
    const alerts: string[] = [];
    page.on('dialog', dialog => {
      alerts.push(dialog.message());
      void dialog.dismiss();
    });
    const registered = `galata-iris-${Date.now()}`;
    // The notebook the snippet goes into.
    await page.notebook.createNew('snippet.ipynb');
    await page.notebook.setCell(0, 'code', 'x = 1');

    const { panel, trackingUri } = await openHealthyPanel(page);
    runPython(LOG_MODEL, [trackingUri, EXPERIMENT, RUN, MODEL_NAME, XSS]);

    // The run detail lists the logged model.
    const experiment = panel.getByRole('button', {
      name: EXPERIMENT,
      exact: true
    });
    await expect(experiment).toBeVisible({ timeout: 60_000 });
    await experiment.click();
    const runs = panel.getByRole('table', { name: `Runs of ${EXPERIMENT}` });
    await runs.getByRole('button', { name: RUN, exact: true }).click();
    const models = panel.getByRole('list', { name: 'Logged models' });
    const modelLink = models.getByRole('button', {
      name: MODEL_NAME,
      exact: true
    });
    await expect(modelLink).toBeVisible();

    // Artifact previews: the text file highlighted, the PNG as an image.
    await panel.getByRole('button', { name: /cells\/$/ }).click();
    await panel.getByRole('button', { name: /cell_1\.py$/ }).click();
    const textPreview = panel.getByRole('region', {
      name: 'Preview of cells/cell_1.py'
    });
    await expect(textPreview.locator('pre')).toHaveText(
      "print('hello from a cell')"
    );
    // JupyterLab's highlighter marks the string token.
    await expect(textPreview.locator('pre span').first()).toBeVisible();
    await panel.getByRole('button', { name: /plots\/$/ }).click();
    await panel.getByRole('button', { name: /curve\.png$/ }).click();
    const image = panel
      .getByRole('region', { name: 'Preview of plots/curve.png' })
      .getByRole('img', { name: 'plots/curve.png' });
    await expect(image).toBeVisible();
    expect(
      await image.evaluate(node => (node as HTMLImageElement).naturalWidth)
    ).toBeGreaterThan(0);
    await docShot(page, 'run-logged-models');

    // CSV: the first rows as a table.
    await panel.getByRole('button', { name: /data\/$/ }).click();
    await panel.getByRole('button', { name: /rows\.csv$/ }).click();
    const rows = panel
      .getByRole('region', { name: 'Preview of data/rows.csv' })
      .getByRole('table', { name: 'data/rows.csv' });
    await expect(rows.getByRole('columnheader')).toHaveText(['a', 'b']);
    await expect(rows.getByRole('row').nth(2)).toHaveText('2y');

    // A notebook: sources and text outputs; its HTML output is only named.
    await panel.getByRole('button', { name: /notebooks\/$/ }).click();
    await panel.getByRole('button', { name: /train\.ipynb$/ }).click();
    const notebook = panel.getByRole('region', {
      name: 'Preview of notebooks/train.ipynb'
    });
    await expect(notebook.getByRole('list', { name: 'Cells' })).toContainText(
      "print('trained')"
    );
    await expect(notebook).toContainText('trained');
    await expect(notebook).toContainText('[text/html output]');
    // HTML is never previewed: only a download link.
    await expect(
      panel.getByRole('link', { name: 'Download report.html' })
    ).toHaveAttribute('href', /download=1/);
    await expect(panel.locator('img[src="x"]')).toHaveCount(0);

    // The logged model: signature and input example.
    await modelLink.click();
    const view = panel.locator('.jp-Trackside-ModelView');
    await expect(view.getByRole('heading', { name: MODEL_NAME })).toBeVisible();
    const inputs = view.getByRole('table', { name: 'Inputs' });
    await expect(
      inputs.getByRole('row').filter({ hasText: 'sepal length (cm)' })
    ).toContainText('double');
    await expect(inputs.getByRole('row').nth(1)).toContainText('required');
    const example = view.getByRole('table', { name: 'Input example' });
    await expect(example.getByRole('columnheader').first()).toHaveText(
      'sepal length (cm)'
    );
    await expect(example.getByRole('row')).toHaveCount(4);
    await expect(example.getByRole('row').nth(1)).toContainText('5.1');
    await expect(view.getByRole('list', { name: 'Flavors' })).toContainText(
      'sklearn'
    );
    await docShot(page, 'model-view');

    // Back to the run; register the model under a new name.
    await view.getByRole('button', { name: '← Back' }).click();
    await panel.getByRole('button', { name: `Register ${MODEL_NAME}` }).click();
    const dialog = page.locator('.jp-Dialog');
    await dialog
      // A text field with a list of suggestions: a combobox.
      .getByRole('combobox', { name: 'Registered model name' })
      .fill(registered);
    await dialog.getByRole('button', { name: 'Register' }).click();
    await expect(dialog).toHaveCount(0);
    // The new version opens.
    await expect(
      panel.getByRole('heading', { name: `${registered} version 1` })
    ).toBeVisible();
    runPython(CHECK_VERSION, [trackingUri, registered]);
    // The version's view reads the same files through its logged model.
    await expect(
      panel.getByRole('table', { name: 'Input example' })
    ).toBeVisible();

    // Insert the snippet below the active cell and run it.
    await page.notebook.selectCells(0);
    await panel.getByRole('button', { name: 'Insert into notebook' }).click();
    await expect.poll(async () => page.notebook.getCellCount()).toBe(2);
    const source = await page.notebook.getCellTextInput(1);
    expect(source).toContain(`model_uri = "models:/${registered}/1"`);
    expect(source).toContain('mlflow.pyfunc.load_model(model_uri)');
    await page.notebook.runCell(1);
    const output = page.locator('.jp-Cell').nth(1).locator('.jp-OutputArea');
    await expect(output).toContainText('mlflow.pyfunc.loaded_model', {
      timeout: 120_000
    });
    await expect(output).toContainText('flavor: mlflow.sklearn');
    await docShot(page, 'model-snippet');
    expect(alerts).toEqual([]);
  });
});
