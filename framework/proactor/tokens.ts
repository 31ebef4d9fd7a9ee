/** Container keys for the Abstract Factory (ProactorFactory). */
export const PROACTOR_IMPL = Symbol.for('ace-proactor.ProactorImpl');
export const PROACTOR_OPTIONS = Symbol.for('ace-proactor.ProactorOptions');
