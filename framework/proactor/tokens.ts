/** Container keys for the Abstract Factory (ProactorFactory). */
export const PROACTOR_IMPL = Symbol.for('ace-proactor.ProactorImpl');
/** The inversify token of the ProactorOptions the Factory passes to the implementation it makes. */
export const PROACTOR_OPTIONS = Symbol.for('ace-proactor.ProactorOptions');
