/** Container keys for the Reactor's Abstract Factory (ReactorFactory). */
export const REACTOR_IMPL = Symbol.for('ace-proactor.ReactorImpl');
/** The inversify token of the ReactorOptions the Factory passes to the implementation it makes. */
export const REACTOR_OPTIONS = Symbol.for('ace-proactor.ReactorOptions');
