import { ISessionContext } from '@jupyterlab/apputils';
import { KernelMessage } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';

/**
 * What a silent execution in the kernel produced.
 */
export interface IKernelAnswer {
  /**
   * Whether the code ran without an error.
   */
  readonly ok: boolean;
  /**
   * `ename: evalue` of the error, if any.
   */
  readonly error: string | null;
  /**
   * The data of every `display_data` / `execute_result` for `mimetype`.
   */
  readonly data: ReadonlyArray<JSONObject>;
  /**
   * Whether the request was given up as lost (see `lostAfter`).
   */
  readonly lost?: boolean;
}

/**
 * Run code silently (no history, no execution count) in a session's kernel.
 *
 * Resolves with `null` when there is no kernel to run it in. With
 * `lostAfter` (ms), a request the kernel has not started while it reports
 * itself idle at each such interval is given up and answered `lost`: right
 * after a kernel restart, a request can be sent before the server listens to
 * the new kernel, and then never gets a reply.
 */
export async function runSilently(
  sessionContext: ISessionContext,
  code: string,
  mimetype?: string,
  lostAfter?: number
): Promise<IKernelAnswer | null> {
  const kernel = sessionContext.session?.kernel;
  if (!kernel) {
    return null;
  }
  const data: JSONObject[] = [];
  let error: string | null = null;
  const future = kernel.requestExecute({
    code,
    silent: false,
    store_history: false,
    stop_on_error: true,
    allow_stdin: false
  });
  let started = false;
  future.onIOPub = (msg: KernelMessage.IIOPubMessage): void => {
    // Its 'busy' status comes first: the kernel has the request.
    started = true;
    if (
      mimetype &&
      (KernelMessage.isDisplayDataMsg(msg) ||
        KernelMessage.isExecuteResultMsg(msg))
    ) {
      const value = msg.content.data[mimetype];
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        data.push(value as JSONObject);
      }
    } else if (KernelMessage.isErrorMsg(msg)) {
      error = `${msg.content.ename}: ${msg.content.evalue}`;
    }
  };
  const answered = future.done.then((reply): IKernelAnswer => {
    const ok = reply.content.status === 'ok';
    return { ok, error: ok ? null : (error ?? reply.content.status), data };
  });
  if (!lostAfter) {
    return answered;
  }
  return new Promise<IKernelAnswer>((resolve, reject) => {
    const check = (): void => {
      if (!started && kernel.status === 'idle') {
        resolve({
          ok: false,
          error: 'The kernel did not take the request (lost).',
          data: [],
          lost: true
        });
        future.dispose();
        return;
      }
      timer = setTimeout(check, lostAfter);
    };
    let timer = setTimeout(check, lostAfter);
    answered.then(
      answer => {
        clearTimeout(timer);
        resolve(answer);
      },
      reason => {
        clearTimeout(timer);
        reject(reason);
      }
    );
  });
}
