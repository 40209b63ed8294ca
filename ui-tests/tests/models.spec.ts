/**
 * The Models view against the real embedded MLflow server: after the
 * getting-started example registers `tracking-quickstart` twice, the view
 * lists it with both versions; an alias set in the UI is what MLflow
 * reports; a model whose name, description and tag are HTML shows them as
 * text; a malformed filter shows MLflow's own message.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';
import {
  docShot,
  embeddedLoginHeaders,
  openHealthyPanel,
  runPython
} from './helpers';

const NOTEBOOK = path.resolve(
  __dirname,
  '..',
  '..',
  'examples',
  '1-MLproject',
  'gettingstarted.ipynb'
);

const MODEL = 'tracking-quickstart';
const XSS = '<img src=x onerror=alert(1)>';

/**
 * Execute the notebook top to bottom in a fresh kernel (as the pytest
 * examples do), against the panel's tracking URI, in a temporary folder.
 */
const RUN_NOTEBOOK = `
import os, sys, tempfile
import nbformat
from nbclient import NotebookClient
home = tempfile.mkdtemp()
os.environ.update({
    "MLFLOW_TRACKING_URI": sys.argv[1],
    "MLFLOW_REGISTRY_URI": sys.argv[1],
    "HOME": home,
    "TRACKSIDE_JOURNAL_DIR": os.path.join(home, "journal"),
})
nb = nbformat.read(sys.argv[2], as_version=4)
NotebookClient(nb, kernel_name="python3", timeout=600,
               resources={"metadata": {"path": home}}).execute()
`;

/**
 * A registered model whose name, description and tag value are HTML.
 */
const REGISTER_XSS = `
import sys
from mlflow import MlflowClient
MlflowClient(sys.argv[1]).create_registered_model(
    sys.argv[2], tags={"note": sys.argv[2]}, description=sys.argv[2])
`;

/**
 * Fail unless MLflow holds the description, tag and versions set in the UI.
 */
const CHECK_EDITS = `
import sys
from mlflow import MlflowClient
client = MlflowClient(sys.argv[1])
model = client.get_registered_model(sys.argv[2])
assert model.description == "Iris classifier", repr(model.description)
assert model.tags == {"team": "ml"}, model.tags
versions = sorted(v.version for v in client.search_model_versions(f"name='{sys.argv[2]}'"))
assert versions == ["2"], versions
`;

/**
 * Fail unless MLflow says the alias points at the version.
 */
const CHECK_ALIAS = `
import sys
from mlflow import MlflowClient
client = MlflowClient(sys.argv[1])
got = client.get_model_version_by_alias(sys.argv[2], sys.argv[3]).version
assert got == sys.argv[4], f"@{sys.argv[3]} is version {got}, not {sys.argv[4]}"
`;

// Galata's user mock routes /.*\/api\/me.*/, which also catches Trackside's
// own API paths: use the real user endpoint.
test.use({ mockUser: false });

test.describe('Trackside Models view', () => {
  test('[C8] lists registered models, writes to the registry, renders text only', async ({
    page
  }) => {
    const dialogs: string[] = [];
    page.on('dialog', dialog => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const { panel, trackingUri } = await openHealthyPanel(page);
    runPython(RUN_NOTEBOOK, [trackingUri, NOTEBOOK]);
    runPython(REGISTER_XSS, [trackingUri, XSS]);

    // Runs | Models, one click each.
    const modelsSwitch = panel.getByRole('button', {
      name: 'Models',
      exact: true
    });
    await modelsSwitch.click();
    await expect(modelsSwitch).toHaveAttribute('aria-pressed', 'true');

    const list = panel.getByRole('list', { name: 'Registered models' });
    const quickstart = list.getByRole('button', { name: MODEL, exact: true });
    await expect(quickstart).toBeVisible({ timeout: 60_000 });

    // HTML from MLflow is text: the name, the description, the tag value.
    const xssRow = list.locator('.jp-Trackside-ModelRow', {
      has: page.getByRole('button', { name: XSS, exact: true })
    });
    await expect(xssRow.locator('.jp-Trackside-ModelDescription')).toHaveText(
      XSS
    );
    await expect(xssRow).toContainText(`note = ${XSS}`);
    await expect(panel.locator('img')).toHaveCount(0);

    // A malformed filter: MLflow's own message, inline.
    const search = panel.getByRole('searchbox', {
      name: 'Search registered models'
    });
    const malformed = "name = 'x";
    const direct = await page.request.get(
      `${trackingUri}/api/2.0/mlflow/registered-models/search?filter=${encodeURIComponent(malformed)}`,
      { headers: embeddedLoginHeaders() }
    );
    expect(direct.status()).toBe(400);
    const { message } = await direct.json();
    await search.fill(malformed);
    await search.press('Enter');
    await expect(panel.getByRole('alert')).toHaveText(message);
    // Plain text searches names.
    await search.fill('quickstart');
    await search.press('Enter');
    await expect(panel.getByRole('alert')).toHaveCount(0);
    await expect(list.getByRole('button')).toHaveText([MODEL]);
    await search.fill('');
    await search.press('Enter');
    await expect(xssRow).toBeVisible();
    await docShot(page, 'models-list');

    // The registered model: both versions.
    await quickstart.click();
    const detail = panel.getByRole('region', {
      name: `Registered model ${MODEL}`
    });
    await expect(detail.getByRole('heading', { name: MODEL })).toBeVisible();
    const rows = detail.locator('.jp-Trackside-VersionRow');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toHaveAttribute('data-version', '2');
    await expect(rows.nth(1)).toHaveAttribute('data-version', '1');

    // MLflow 3 versions come from logged models.
    await expect(
      rows.nth(0).locator('.jp-Trackside-VersionModelId')
    ).toHaveText(/^m-[0-9a-f]+$/);

    // The notebook made version 2 the champion: remove the alias, then set
    // it again from the version's actions.
    await expect(rows.nth(0)).toContainText('@champion');
    await detail.getByRole('button', { name: 'Delete alias champion' }).click();
    await expect(rows.nth(0)).not.toContainText('@champion');

    await detail.getByRole('button', { name: 'Manage version 2' }).click();
    const alias = detail.getByRole('textbox', {
      name: 'Alias for version 2'
    });
    const setAlias = detail.getByRole('button', { name: 'Set alias' });
    // MLflow's rules, checked as typed.
    await alias.fill('latest');
    await expect(detail.getByRole('alert')).toContainText('reserved');
    await expect(setAlias).toBeDisabled();
    await alias.fill('champion');
    await expect(detail.getByRole('alert')).toHaveCount(0);
    await setAlias.click();
    await expect(rows.nth(0)).toContainText('@champion');
    await docShot(page, 'registered-model');
    runPython(CHECK_ALIAS, [trackingUri, MODEL, 'champion', '2']);

    // The model's description and tags, edited in place.
    await detail
      .getByRole('button', { name: `Edit Description of ${MODEL}` })
      .click();
    await detail
      .getByRole('textbox', { name: `Description of ${MODEL}` })
      .fill('Iris classifier');
    await detail.getByRole('button', { name: 'Save' }).click();
    await expect(
      detail.locator('.jp-Trackside-DescriptionText').first()
    ).toHaveText('Iris classifier');
    const tags = detail.getByRole('group', { name: `Tags of ${MODEL}` });
    await tags.getByRole('textbox', { name: 'Tag key' }).fill('team');
    await tags.getByRole('textbox', { name: 'Tag value' }).fill('ml');
    await tags.getByRole('button', { name: 'Add tag' }).click();
    await expect(tags).toContainText('team = ml');

    // Deleting a version asks first, naming it.
    await detail.getByRole('button', { name: 'Manage version 1' }).click();
    await detail.getByRole('button', { name: 'Delete version 1' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText(`Delete version 1 of ${MODEL}?`);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(rows).toHaveCount(1);
    runPython(CHECK_EDITS, [trackingUri, MODEL]);

    // Back to the list; the HTML model opens as text.
    await modelsSwitch.click();
    await list.getByRole('button', { name: XSS, exact: true }).click();
    const xssDetail = panel.getByRole('region', {
      name: `Registered model ${XSS}`
    });
    await expect(xssDetail.getByRole('heading', { name: XSS })).toBeVisible();
    await expect(xssDetail.locator('.jp-Trackside-DescriptionText')).toHaveText(
      XSS
    );
    await expect(xssDetail).toContainText(`note = ${XSS}`);
    await expect(panel.locator('img')).toHaveCount(0);

    // And the runs are one click away.
    await panel.getByRole('button', { name: 'Runs', exact: true }).click();
    await expect(
      panel.getByRole('list', { name: 'Experiments' })
    ).toBeVisible();
    expect(dialogs).toEqual([]);
  });
});
