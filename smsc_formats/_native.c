/*
 * smsc_formats._native: the optional compiled record builder (see smsc_formats/codecs/native.py).
 *
 * read(program, rows) converts the raw values of a whole list body into model records in one
 * C loop, or returns None where anything is unusual; the caller then reads the body record by
 * record with the pure-Python converters, which accept or report exactly as before. So this
 * module only ever accepts values the pure-Python readers accept, converted to the same values.
 *
 * program = (model, mode, absent, tz, epoch, fromtimestamp, decimal, fields)
 *   mode   0: each row is a sequence, a slot's key is its index
 *          1: each row is a dict, a slot's key is the child tag (missing: None)
 *          2: each row is an object, a slot's key is an attribute name
 *   absent the marker of a missing JSON key (mode 2), else None
 *   epoch  the epoch in tz when tz is a fixed offset, else None (then fromtimestamp is called)
 *   fields a tuple, per model field in order, of (descriptor, optional, slots), where slots is
 *          a tuple, most preferred first, of (key, kind, number)
 *   kind   0 text, 1 integer, 2 UTC offset, 3 money, 4 date DD.MM.YYYY hh:mm:ss, 5 timestamp
 *   number whether the raw value is a JSON number (mode 2), else a string
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>

enum { K_TEXT, K_INT, K_TZ, K_MONEY, K_DATE, K_STAMP };
enum { M_SEQ, M_DICT, M_ATTR };

typedef struct {
    PyObject *key;
    Py_ssize_t index;
    int kind;
    int number;
} Slot;

typedef struct {
    PyObject *descr;
    descrsetfunc set;
    int optional;
    Py_ssize_t nslots;
    Slot *slots;
} Field;

typedef struct {
    PyTypeObject *model;
    int mode;
    PyObject *absent;
    PyObject *tz;
    PyObject *epoch;
    PyObject *fromtimestamp;
    PyObject *decimal;
    Py_ssize_t nfields;
    Field *fields;
    Slot *all_slots;
    Py_ssize_t width;  /* mode 0: the length of every row (the largest index + 1) */
} Program;

/* A value the pure-Python readers would decline: no Python error is set. */
static PyObject DECLINED_OBJ;
#define DECLINED (&DECLINED_OBJ)

static void
program_free(Program *p)
{
    PyMem_Free(p->fields);
    PyMem_Free(p->all_slots);
}

static int
program_load(PyObject *spec, Program *p)
{
    PyObject *model, *fields;
    memset(p, 0, sizeof(*p));
    if (!PyArg_ParseTuple(spec, "OiOOOOOO!", &model, &p->mode, &p->absent, &p->tz, &p->epoch,
                          &p->fromtimestamp, &p->decimal, &PyTuple_Type, &fields))
        return -1;
    if (!PyType_Check(model) || p->mode < M_SEQ || p->mode > M_ATTR) {
        PyErr_SetString(PyExc_TypeError, "bad program");
        return -1;
    }
    p->model = (PyTypeObject *)model;
    p->nfields = PyTuple_GET_SIZE(fields);
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < p->nfields; i++) {
        PyObject *f = PyTuple_GET_ITEM(fields, i);
        if (!PyTuple_Check(f) || PyTuple_GET_SIZE(f) != 3 ||
            !PyTuple_Check(PyTuple_GET_ITEM(f, 2))) {
            PyErr_SetString(PyExc_TypeError, "bad program field");
            return -1;
        }
        total += PyTuple_GET_SIZE(PyTuple_GET_ITEM(f, 2));
    }
    p->fields = PyMem_Calloc(p->nfields ? p->nfields : 1, sizeof(Field));
    p->all_slots = PyMem_Calloc(total ? total : 1, sizeof(Slot));
    if (p->fields == NULL || p->all_slots == NULL) {
        program_free(p);
        PyErr_NoMemory();
        return -1;
    }
    Slot *next = p->all_slots;
    for (Py_ssize_t i = 0; i < p->nfields; i++) {
        PyObject *f = PyTuple_GET_ITEM(fields, i);
        Field *field = &p->fields[i];
        PyObject *slots = PyTuple_GET_ITEM(f, 2);
        field->descr = PyTuple_GET_ITEM(f, 0);
        field->set = Py_TYPE(field->descr)->tp_descr_set;
        field->optional = PyObject_IsTrue(PyTuple_GET_ITEM(f, 1));
        field->nslots = PyTuple_GET_SIZE(slots);
        field->slots = next;
        if (field->set == NULL || field->optional < 0 || field->nslots == 0) {
            program_free(p);
            PyErr_SetString(PyExc_TypeError, "bad program field");
            return -1;
        }
        for (Py_ssize_t k = 0; k < field->nslots; k++, next++) {
            PyObject *s = PyTuple_GET_ITEM(slots, k);
            if (!PyArg_ParseTuple(s, "Oii", &next->key, &next->kind, &next->number)) {
                program_free(p);
                return -1;
            }
            if (next->kind < K_TEXT || next->kind > K_STAMP) {
                program_free(p);
                PyErr_SetString(PyExc_TypeError, "bad slot kind");
                return -1;
            }
            if (p->mode == M_SEQ) {
                next->index = PyLong_AsSsize_t(next->key);
                if (next->index < 0) {
                    program_free(p);
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_TypeError, "bad slot index");
                    return -1;
                }
                if (next->index >= p->width)
                    p->width = next->index + 1;
            }
        }
    }
    return 0;
}

/* -- reading one value ------------------------------------------------------------------- */

/* The digits of an ASCII str of the shape -?[0-9]+ ([+-]?[0-9]{1,2} when tz), else -1. */
static int
integer_shaped(PyObject *s, int tz)
{
    if (!PyUnicode_IS_ASCII(s))
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = 0;
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    if (n > 0 && (c[0] == '-' || (tz && c[0] == '+')))
        i = 1;
    if (i == n || (tz && n - i > 2))
        return 0;
    for (; i < n; i++)
        if (c[i] < '0' || c[i] > '9')
            return 0;
    return 1;
}

/* int(s) of an integer-shaped str. */
static PyObject *
to_int(PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    if (n <= 18) {
        long long v = 0;
        Py_ssize_t i = (c[0] == '-' || c[0] == '+');
        for (; i < n; i++)
            v = v * 10 + (c[i] - '0');
        return PyLong_FromLongLong(c[0] == '-' ? -v : v);
    }
    return PyLong_FromUnicodeObject(s, 10);
}

static int
money_shaped(PyObject *s)
{
    if (!PyUnicode_IS_ASCII(s))
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = 0, digits = 0;
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    if (n > 0 && c[0] == '-')
        i = 1;
    for (; i < n && c[i] >= '0' && c[i] <= '9'; i++)
        digits++;
    if (digits == 0)
        return 0;
    if (i == n)
        return 1;
    if (c[i] != '.')
        return 0;
    i++;
    digits = 0;
    for (; i < n && c[i] >= '0' && c[i] <= '9'; i++)
        digits++;
    return digits > 0 && i == n;
}

static int
two(const Py_UCS1 *c, int *out)
{
    if (c[0] < '0' || c[0] > '9' || c[1] < '0' || c[1] > '9')
        return 0;
    *out = (c[0] - '0') * 10 + (c[1] - '0');
    return 1;
}

/* DD.MM.YYYY hh:mm:ss as an aware datetime in tz (the wall-clock fields, fold 0). */
static PyObject *
to_date(PyObject *s, PyObject *tz)
{
    if (!PyUnicode_IS_ASCII(s) || PyUnicode_GET_LENGTH(s) != 19)
        return DECLINED;
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    int d, mo, y1, y2, h, mi, sec;
    if (c[2] != '.' || c[5] != '.' || c[10] != ' ' || c[13] != ':' || c[16] != ':' ||
        !two(c, &d) || !two(c + 3, &mo) || !two(c + 6, &y1) || !two(c + 8, &y2) ||
        !two(c + 11, &h) || !two(c + 14, &mi) || !two(c + 17, &sec))
        return DECLINED;
    if (h > 23 || mi > 59 || sec > 59)
        return DECLINED;
    PyObject *out = PyDateTimeAPI->DateTime_FromDateAndTime(
        y1 * 100 + y2, mo, d, h, mi, sec, 0, tz, PyDateTimeAPI->DateTimeType);
    if (out == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();  /* 31.02, year 0 and the like */
        return DECLINED;
    }
    return out;
}

/* The instant of a Unix timestamp (an int) in the program's tz. */
static PyObject *
to_instant(const Program *p, PyObject *t)
{
    if (p->epoch == Py_None)
        return PyObject_CallFunctionObjArgs(p->fromtimestamp, t, p->tz, NULL);
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(t, &overflow);
    if (overflow || (v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return DECLINED;
    }
    long long days = v / 86400, secs = v % 86400;
    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    if (days > 999999999 || days < -999999999)
        return DECLINED;
    PyObject *delta = PyDelta_FromDSU((int)days, (int)secs, 0);
    if (delta == NULL)
        return NULL;
    PyObject *out = PyNumber_Add(p->epoch, delta);
    Py_DECREF(delta);
    return out;
}

/* A new reference to a present value converted, DECLINED, or NULL with an error set. */
static PyObject *
convert(const Program *p, const Slot *slot, PyObject *v)
{
    if (slot->number) {
        if (slot->kind == K_MONEY)
            return DECLINED;  /* as the generated reader: the reference code reads these */
        if (!PyLong_CheckExact(v))
            return DECLINED;
        if (slot->kind == K_TZ) {
            int overflow = 0;
            long h = PyLong_AsLongAndOverflow(v, &overflow);
            if (overflow || h < -99 || h > 99)
                return DECLINED;
        }
        if (slot->kind == K_STAMP)
            return to_instant(p, v);
        if (slot->kind == K_TEXT)
            return DECLINED;
        return Py_NewRef(v);
    }
    if (!PyUnicode_CheckExact(v))
        return DECLINED;
    switch (slot->kind) {
    case K_TEXT:
        return Py_NewRef(v);
    case K_INT:
    case K_TZ:
        return integer_shaped(v, slot->kind == K_TZ) ? to_int(v) : DECLINED;
    case K_MONEY:
        return money_shaped(v) ? PyObject_CallOneArg(p->decimal, v) : DECLINED;
    case K_DATE:
        return to_date(v, p->tz);
    default: {  /* K_STAMP */
        if (!integer_shaped(v, 0))
            return DECLINED;
        PyObject *t = to_int(v);
        if (t == NULL)
            return NULL;
        PyObject *out = to_instant(p, t);
        Py_DECREF(t);
        return out;
    }
    }
}

/* A new reference to a slot's raw value in a row (a missing child tag: None), DECLINED where
   the row is not one the generated readers read, or NULL with an error set (a missing
   attribute: the generated reader's AttributeError). The value is owned, not borrowed, so
   that no conversion can free it under us, whatever it calls. */
static PyObject *
fetch(const Program *p, const Slot *slot, PyObject *row)
{
    PyObject *v;
    if (p->mode == M_SEQ) {
        /* as the generated reader's one unpacking of a row: exactly width values */
        if (PyList_CheckExact(row) && PyList_GET_SIZE(row) == p->width)
            v = PyList_GET_ITEM(row, slot->index);
        else if (PyTuple_CheckExact(row) && PyTuple_GET_SIZE(row) == p->width)
            v = PyTuple_GET_ITEM(row, slot->index);
        else
            return DECLINED;
        return Py_NewRef(v);
    }
    if (p->mode == M_DICT) {
        if (!PyDict_CheckExact(row))
            return DECLINED;
        v = PyDict_GetItemWithError(row, slot->key);
        if (v == NULL)
            return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
        return Py_NewRef(v);
    }
    return PyObject_GetAttr(row, slot->key);
}

static int
is_absent(const Program *p, PyObject *v, int optional)
{
    if (v == p->absent || v == Py_None)
        return v != Py_None || p->mode != M_ATTR || optional;
    return optional && PyUnicode_CheckExact(v) && PyUnicode_GET_LENGTH(v) == 0;
}

/* One field's value from a row: a new reference, DECLINED, or NULL with an error set. */
static PyObject *
field_value(const Program *p, const Field *field, PyObject *row)
{
    PyObject *chosen = NULL;
    for (Py_ssize_t k = 0; k < field->nslots; k++) {
        const Slot *slot = &field->slots[k];
        PyObject *raw = fetch(p, slot, row);
        if (raw == NULL || raw == DECLINED) {
            Py_XDECREF(chosen);
            return raw;
        }
        if (is_absent(p, raw, field->optional)) {
            Py_DECREF(raw);
            continue;
        }
        PyObject *value = convert(p, slot, raw);
        Py_DECREF(raw);
        if (value == NULL || value == DECLINED) {
            Py_XDECREF(chosen);
            return value;
        }
        if (chosen == NULL)
            chosen = value;  /* the most preferred slot present wins; the others are checked */
        else
            Py_DECREF(value);
    }
    if (chosen != NULL)
        return chosen;
    return field->optional ? Py_NewRef(Py_None) : DECLINED;
}

static PyObject *
read_rows(const Program *p, PyObject *rows)
{
    Py_ssize_t n = PyList_GET_SIZE(rows);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t r = 0; r < n; r++) {
        if (r >= PyList_GET_SIZE(rows))  /* rows shrank under a call: leave it to Python */
            goto declined;
        PyObject *row = Py_NewRef(PyList_GET_ITEM(rows, r));
        PyObject *record = p->model->tp_alloc(p->model, 0);
        if (record == NULL) {
            Py_DECREF(row);
            goto error;
        }
        PyList_SET_ITEM(out, r, record);
        for (Py_ssize_t i = 0; i < p->nfields; i++) {
            const Field *field = &p->fields[i];
            PyObject *value = field_value(p, field, row);
            if (value == NULL || value == DECLINED) {
                Py_DECREF(row);
                if (value == NULL)
                    goto error;
                goto declined;
            }
            int failed = field->set(field->descr, record, value);
            Py_DECREF(value);
            if (failed) {
                Py_DECREF(row);
                goto error;
            }
        }
        Py_DECREF(row);
    }
    if (n != PyList_GET_SIZE(rows))  /* rows grew under a call */
        goto declined;
    return out;
declined:
    Py_DECREF(out);
    Py_RETURN_NONE;
error:
    Py_DECREF(out);
    return NULL;
}

static PyObject *
native_read(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyTuple_Check(args[0]) || !PyList_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "read(program: tuple, rows: list)");
        return NULL;
    }
    Program p;
    if (program_load(args[0], &p) < 0)
        return NULL;
    PyObject *out = read_rows(&p, args[1]);
    program_free(&p);
    if (out == NULL && !PyErr_ExceptionMatches(PyExc_MemoryError)) {
        /* an error a conversion raised (Decimal, fromtimestamp, datetime + timedelta): the
           pure-Python readers meet it again and decide */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"read", (PyCFunction)(void (*)(void))native_read, METH_FASTCALL,
     "read(program, rows) -> list of records, or None where the pure-Python readers must "
     "decide."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "smsc_formats._native",
    "The optional compiled record builder of smsc_formats (see codecs/native.py).", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    return PyModule_Create(&module);
}
