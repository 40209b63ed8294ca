import { ITranslator } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';
import { TracksideModel } from '../../models/tracksideModel';
import { StatusHeader } from '../../widgets/statusHeader';
import { CompareBody } from '../compare/body';
import { CompareModel } from '../compare/model';
import { IRunDetailServices, RunDetailBody } from '../runDetail/body';
import { RunDetailModel } from '../runDetail/model';
import { RunsBody } from '../runs/body';
import { RunsModel } from '../runs/model';
import { RegisteredModelsBody } from '../models/listBody';
import { RegisteredModelsModel } from '../models/listModel';
import { RegisteredModelBody } from '../models/registeredModelBody';
import { RegisteredModelModel } from '../models/registeredModelModel';
import { ServingBody } from '../serving/body';
import { ServingModel } from '../serving/model';
import { exampleLoader } from '../serving/example';
import { versionLocation } from '../modelView/location';
import { IServingService } from '../../tokens/serving';
import { IModelFilesService, IRegistryService } from '../../tokens';
import { ModelViewBody } from '../modelView/body';
import { ModelViewModel } from '../modelView/model';
import { SectionSwitch } from './sectionSwitch';
import { SyncBacklog } from '../sync/syncBacklog';
import { ISyncStatus } from '../../tokens/syncStatus';

/**
 * The content of the Trackside panel: the status header, the "Runs |
 * Models" switch, then the view the connection's navigation asks for — the
 * runs list, one run, a comparison, the registered models, one of them, a
 * model or the served models. Each view but the runs list gets a new model
 * and body each time it is shown, disposed when the panel navigates away.
 */
export class TracksideView extends Panel {
  /**
   * Create the view.
   */
  constructor(options: TracksideView.IOptions) {
    super();
    this._runs = options.runs;
    this._translator = options.translator;
    this._services = { ...options.services, translator: options.translator };
    this._registry = options.services?.registry ?? null;
    this._serving = options.services?.serving ?? null;
    this._modelFiles = options.services?.modelFiles ?? null;
    this.addClass('jp-Trackside-View');

    const connection = this._runs.connection;
    const trans = options.translator.load('jupyterlab_trackside');
    // The status header and the runs list share a React root: a new error
    // shows in both at once.
    this.addWidget(
      ReactWidget.create(
        <>
          <UseSignal signal={connection.errorChanged}>
            {() => (
              <UseSignal signal={connection.statusChanged}>
                {() => (
                  <StatusHeader
                    status={connection.status}
                    error={connection.error}
                    trans={trans}
                  />
                )}
              </UseSignal>
            )}
          </UseSignal>
          {options.services?.syncStatus && (
            <SyncBacklog model={options.services.syncStatus} trans={trans} />
          )}
          <SectionSwitch connection={connection} trans={trans} />
          <RunsBody model={this._runs} trans={trans} />
        </>
      )
    );
    connection.viewChanged.connect(this._onViewChanged, this);
    this._onViewChanged(connection, connection.view);
  }

  /**
   * The body of the run or comparison shown; `null` for the runs list.
   */
  get feature(): Widget | null {
    return this._feature;
  }

  /**
   * Dispose the view.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._runs.connection.viewChanged.disconnect(this._onViewChanged, this);
    super.dispose();
  }

  private _onViewChanged(
    connection: TracksideModel,
    view: TracksideModel.View
  ): void {
    this._feature?.dispose();
    this._feature = null;
    // The models list keeps its search and pages while the panel shows
    // something else; it stands by meanwhile.
    this._modelsList?.setHidden(view.kind !== 'models');
    const { store, backfill } = this._services;
    const registry = this._registry;
    switch (view.kind) {
      case 'run': {
        const model = new RunDetailModel({
          connection,
          experimentId: view.experimentId,
          runId: view.runId,
          store,
          backfill,
          modelFiles: this._modelFiles
        });
        this._feature = new RunDetailBody({
          model,
          services: this._services,
          translator: this._translator
        });
        break;
      }
      case 'compare': {
        const runs = this._runs;
        const model = new CompareModel({
          connection,
          runIds: view.runIds,
          experiments: () => runs.experiments,
          store,
          backfill
        });
        this._feature = new CompareBody({
          model,
          services: this._services,
          translator: this._translator
        });
        break;
      }
      case 'models':
        if (registry && !this._modelsList) {
          this._modelsList = new RegisteredModelsBody({
            model: new RegisteredModelsModel({ connection, registry }),
            services: null,
            translator: this._translator
          });
          this.addWidget(this._modelsList);
        }
        break;
      case 'registeredModel':
        if (registry) {
          this._feature = new RegisteredModelBody({
            model: new RegisteredModelModel({
              name: view.name,
              connection,
              registry
            }),
            services: null,
            translator: this._translator
          });
        }
        break;
      case 'serving':
        if (this._serving) {
          const files = this._modelFiles;
          this._feature = new ServingBody({
            model: new ServingModel({
              connection,
              service: this._serving,
              selectedId: view.servedId,
              // The input example is found where the model view finds it.
              loadExample: exampleLoader(
                registry && files
                  ? { registry, files, location: versionLocation }
                  : null
              )
            }),
            services: null,
            translator: this._translator
          });
        }
        break;
      case 'modelVersion':
      case 'loggedModel':
      case 'runArtifactModel':
        if (this._modelFiles) {
          this._feature = new ModelViewBody({
            model: new ModelViewModel({
              target: view,
              connection,
              files: this._modelFiles,
              registry
            }),
            services: { ...this._services, serving: this._serving },
            translator: this._translator
          });
        }
        break;
      default:
        // The runs list, rendered by `RunsBody` in the header's React root.
        break;
    }
    if (this._feature) {
      this.addWidget(this._feature);
    }
  }

  private _runs: RunsModel;
  private _translator: ITranslator;
  private _services: IRunDetailServices;
  private _registry: IRegistryService | null;
  private _serving: IServingService | null;
  private _modelFiles: IModelFilesService | null;
  private _feature: Widget | null = null;
  private _modelsList: RegisteredModelsBody | null = null;
}

/**
 * A namespace for `TracksideView` statics.
 */
export namespace TracksideView {
  /**
   * The options to create the view.
   */
  export interface IOptions {
    /**
     * The runs model; its connection drives the navigation.
     */
    runs: RunsModel;
    translator: ITranslator;
    /**
     * What the run detail and the comparison need (series store, backfill,
     * commands, shell, theme manager); no charts without a store.
     */
    services?: IServices;
  }

  /**
   * What the views of the panel need beyond the connection: the run
   * detail's and comparison's services and, for the models section, the
   * Model Registry, model files and serving services (each optional: its
   * views show a message without it).
   */
  export interface IServices extends Omit<IRunDetailServices, 'translator'> {
    /**
     * The Model Registry, for the models list and a registered model.
     */
    readonly registry?: IRegistryService | null;
    /**
     * Serving, for the served models and the predict form.
     */
    readonly serving?: IServingService | null;
    /**
     * Logged models and model/run files, for the model views, the run's
     * models and the artifact previews.
     */
    readonly modelFiles?: IModelFilesService | null;
    /**
     * The kernels' sync backlog, shown under the status header.
     */
    readonly syncStatus?: ISyncStatus | null;
  }
}
