/** The condition language (docs/conditions.md): one schema, one compiler, shared by filters and audiences. */
export {
  CONDITION_ID,
  CONDITION_REF,
  CONDITION_SCHEMA,
  OPERATORS,
  MAX_PATTERN_LENGTH,
  type Condition,
  type FieldTest,
  type Operator,
} from './condition-schema.js';
export { checkCondition, compileCondition, conditionFields, MAX_DEPTH, type CompileOptions, type ConditionTest } from './compile-condition.js';
export { ConditionError, describeConditionError, isConditionError } from './condition-errors.js';
export { compileFieldPath, fieldPathProblem, type FieldReader } from './field-path.js';
