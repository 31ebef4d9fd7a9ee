/** Container keys for the Reactor's Abstract Factory (ReactorFactory). */
export const REACTOR_IMPL = Symbol.for('ace-proactor.ReactorImpl');
export const REACTOR_OPTIONS = Symbol.for('ace-proactor.ReactorOptions');
