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

/* values.TIMESTAMP_RANGE as Unix time: the UTC instants 0001-01-01T00:00:00Z and
   9999-12-31T23:59:59Z, outside which a timestamp is neither read nor written */
#define FIRST_STAMP (-62135596800LL)
#define LAST_STAMP 253402300799LL
/* values.MAX_DIGITS: the longest money text written here (the reference decides the rest) */
#define MONEY_TEXT 100
enum { M_SEQ, M_DICT, M_ATTR };

typedef struct {
    PyObject *key;
    Py_ssize_t index;
    int kind;
    int number;
    PyObject *member;  /* mode 2: the key's member descriptor on the rows' type, or NULL */
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
    Py_ssize_t nslots;
    PyTypeObject *row_type;  /* mode 2: the type whose member descriptors the slots hold */
} Program;

/* A value the pure-Python readers would decline: no Python error is set. */
static PyObject DECLINED_OBJ;
#define DECLINED (&DECLINED_OBJ)

static void
program_free(Program *p)
{
    for (Py_ssize_t k = 0; p->all_slots != NULL && k < p->nslots; k++)
        Py_CLEAR(p->all_slots[k].member);
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
    p->nslots = total;
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
            if (!PyTuple_Check(s)) {  /* PyArg_ParseTuple would raise SystemError */
                program_free(p);
                PyErr_SetString(PyExc_TypeError, "bad program slot");
                return -1;
            }
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
    /* datetime.fromtimestamp (the reference reader) takes the UTC instant first: it must
       lie in 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z whatever the offset adds */
    if (v < FIRST_STAMP || v > LAST_STAMP)
        return DECLINED;
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
    if (slot->member != NULL && Py_IS_TYPE(row, p->row_type))
        return Py_TYPE(slot->member)->tp_descr_get(slot->member, row, (PyObject *)p->row_type);
    return PyObject_GetAttr(row, slot->key);
}

/* Mode 2: each slot's member descriptor on the type of the first row, where attribute
   lookup on that type is the generic one and finds a plain member (a msgspec struct's), so
   that fetching a value skips the lookup by name; other rows are read by name. */
static int
program_members(Program *p, PyObject *rows)
{
    if (p->mode != M_ATTR || PyList_GET_SIZE(rows) == 0)
        return 0;
    PyTypeObject *type = Py_TYPE(PyList_GET_ITEM(rows, 0));
    if (type->tp_getattro != PyObject_GenericGetAttr)
        return 0;
    for (Py_ssize_t k = 0; k < p->nslots; k++) {
        Slot *slot = &p->all_slots[k];
        PyObject *found = PyObject_GetAttr((PyObject *)type, slot->key);
        if (found == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                return -1;
            PyErr_Clear();
            continue;
        }
        if (Py_IS_TYPE(found, &PyMemberDescr_Type))
            slot->member = found;
        else
            Py_DECREF(found);
    }
    p->row_type = type;
    return 0;
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
    if (program_members(&p, args[1]) < 0) {
        program_free(&p);
        return NULL;
    }
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

/* -- writing --------------------------------------------------------------------------- */

/*
 * write(program, records) -> list of each record's text, or None where the generated writer
 * would decline any record (then the pure-Python writers write the body, or say what is wrong).
 *
 * program = (model, tz, offset, encode_basestring, decimal, quote, prefix, suffix, slots)
 *   offset  the fixed UTC offset of tz in seconds (writers exist only for fixed offsets)
 *   slots   per wire slot in order: (descriptor, kind, optional, lead, trail, absent, escape,
 *           forbid); a present value is written as lead + text + trail, None (optional
 *           slots only) as absent
 *   escape  0 none, 1 a JSON string: quote + text + quote, or encode_basestring(text) where
 *           the text holds a character it escapes
 *   forbid  1: no line break in the text, 2: no comma (the writer declines the record)
 */

typedef struct {
    PyObject *descr;
    descrgetfunc get;
    int kind;
    int optional;
    PyObject *lead;
    PyObject *trail;
    PyObject *absent;
    int escape;
    int forbid;
    char open[96];  /* the UTF-8 of lead, then a quote where escape is 1 (write_utf8) */
    char close[96];  /* a quote where escape is 1, then the UTF-8 of trail */
    Py_ssize_t open_n, close_n;
} WSlot;

/* The UTF-8 of an ASCII layout string, with a quote before (at 1) or after (at 0) it when
   quoted, into out (96 bytes): 0, or -1 with an error set (not ASCII, or too long). */
static int
layout_bytes(PyObject *s, int quoted, int after, char *out, Py_ssize_t *n)
{
    Py_ssize_t len = PyUnicode_GET_LENGTH(s);
    if (!PyUnicode_IS_ASCII(s) || len > 90) {
        PyErr_SetString(PyExc_TypeError, "bad program slot layout");
        return -1;
    }
    Py_ssize_t at = 0;
    if (quoted && !after)
        out[at++] = '"';
    memcpy(out + at, PyUnicode_1BYTE_DATA(s), (size_t)len);
    at += len;
    if (quoted && after)
        out[at++] = '"';
    *n = at;
    return 0;
}

typedef struct {
    PyTypeObject *model;
    PyObject *tz;
    long offset;
    PyObject *encode_basestring;
    PyObject *decimal;
    PyObject *quote;
    PyObject *prefix;
    PyObject *suffix;
    Py_ssize_t nslots;
    WSlot *slots;
} WProgram;

static int
wprogram_load(PyObject *spec, WProgram *p)
{
    PyObject *model, *slots;
    memset(p, 0, sizeof(*p));
    if (!PyArg_ParseTuple(spec, "OOlOOUUUO!", &model, &p->tz, &p->offset, &p->encode_basestring,
                          &p->decimal, &p->quote, &p->prefix, &p->suffix, &PyTuple_Type, &slots))
        return -1;
    if (!PyType_Check(model) || !PyType_Check(p->decimal)) {
        PyErr_SetString(PyExc_TypeError, "bad program");
        return -1;
    }
    p->model = (PyTypeObject *)model;
    p->nslots = PyTuple_GET_SIZE(slots);
    p->slots = PyMem_Calloc(p->nslots ? p->nslots : 1, sizeof(WSlot));
    if (p->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < p->nslots; k++) {
        WSlot *w = &p->slots[k];
        if (!PyTuple_Check(PyTuple_GET_ITEM(slots, k))) {  /* else a SystemError */
            PyMem_Free(p->slots);
            PyErr_SetString(PyExc_TypeError, "bad program slot");
            return -1;
        }
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(slots, k), "OipUUUii", &w->descr, &w->kind,
                              &w->optional, &w->lead, &w->trail, &w->absent, &w->escape,
                              &w->forbid)) {
            PyMem_Free(p->slots);
            return -1;
        }
        w->get = Py_TYPE(w->descr)->tp_descr_get;
        if (w->get == NULL || w->kind < K_TEXT || w->kind > K_STAMP) {
            PyMem_Free(p->slots);
            PyErr_SetString(PyExc_TypeError, "bad program slot");
            return -1;
        }
        if (layout_bytes(w->lead, w->escape == 1, 1, w->open, &w->open_n) < 0 ||
            layout_bytes(w->trail, w->escape == 1, 0, w->close, &w->close_n) < 0) {
            PyMem_Free(p->slots);
            return -1;
        }
    }
    return 0;
}

static void
put2(char *out, int v)
{
    out[0] = (char)('0' + v / 10 % 10);
    out[1] = (char)('0' + v % 10);
}

/* The decimal digits of v into out (at least 21 bytes): their count (snprintf costs more). */
static int
put_int(char *out, long long v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char digits[20];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = 20, at = 0;
    while (u >= 100) {  /* two digits a step */
        unsigned pair = (unsigned)(u % 100) * 2;
        u /= 100;
        digits[--n] = pairs[pair + 1];
        digits[--n] = pairs[pair];
    }
    if (u >= 10) {
        digits[--n] = pairs[u * 2 + 1];
        digits[--n] = pairs[u * 2];
    } else {
        digits[--n] = (char)('0' + u);
    }
    if (v < 0)
        out[at++] = '-';
    memcpy(out + at, digits + n, (size_t)(20 - n));
    return at + 20 - n;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* An instant's wire text (DD.MM.YYYY hh:mm:ss or a Unix timestamp) into out (24 bytes):
   its length, or 0 where the generated writer declines the value (not a datetime in the
   plan's tz, or with microseconds). */
static int
instant_text(const WProgram *p, const WSlot *w, PyObject *v, char *out)
{
    if (!PyDateTime_CheckExact(v) || PyDateTime_DATE_GET_TZINFO(v) != p->tz ||
        PyDateTime_DATE_GET_MICROSECOND(v) != 0)
        return 0;
    int y = PyDateTime_GET_YEAR(v), mo = PyDateTime_GET_MONTH(v), d = PyDateTime_GET_DAY(v);
    int h = PyDateTime_DATE_GET_HOUR(v), mi = PyDateTime_DATE_GET_MINUTE(v);
    int sec = PyDateTime_DATE_GET_SECOND(v);
    if (w->kind == K_DATE) {
        put2(out, d);
        out[2] = '.';
        put2(out + 3, mo);
        out[5] = '.';
        put2(out + 6, y / 100);
        put2(out + 8, y % 100);
        out[10] = ' ';
        put2(out + 11, h);
        out[13] = ':';
        put2(out + 14, mi);
        out[16] = ':';
        put2(out + 17, sec);
        return 19;
    }
    long long t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
                  mi * 60 + sec - p->offset;
    /* what the reader refuses is not written: a UTC instant outside years 1 to 9999 */
    if (t < FIRST_STAMP || t > LAST_STAMP)
        return 0;
    return put_int(out, t);
}

/* A new reference to a present value's wire text, DECLINED, or NULL with an error set. */
static PyObject *
wire_text(const WProgram *p, const WSlot *w, PyObject *v)
{
    switch (w->kind) {
    case K_TEXT: {
        if (!PyUnicode_CheckExact(v))
            return DECLINED;
        if (w->forbid) {
            if ((w->forbid & 1) && PyUnicode_FindChar(v, '\n', 0, PY_SSIZE_T_MAX, 1) != -1)
                return DECLINED;
            if ((w->forbid & 2) && PyUnicode_FindChar(v, ',', 0, PY_SSIZE_T_MAX, 1) != -1)
                return DECLINED;
        }
        return Py_NewRef(v);
    }
    case K_INT:
    case K_TZ:
        return PyLong_CheckExact(v) ? PyObject_Str(v) : DECLINED;
    case K_MONEY: {
        if (Py_TYPE(v) != (PyTypeObject *)p->decimal)
            return DECLINED;
        PyObject *s = PyObject_Str(v);
        if (s == NULL)
            return NULL;
        /* exponents (an 'e' where the decimal context has capitals=0), NaN, Infinity and
           long numbers (the reference refuses 100 digits or more) are left to it */
        if (PyUnicode_GET_LENGTH(s) > MONEY_TEXT ||
            PyUnicode_FindChar(s, 'E', 0, PY_SSIZE_T_MAX, 1) != -1 ||
            PyUnicode_FindChar(s, 'e', 0, PY_SSIZE_T_MAX, 1) != -1 ||
            PyUnicode_FindChar(s, 'a', 0, PY_SSIZE_T_MAX, 1) != -1 ||
            PyUnicode_FindChar(s, 'n', 0, PY_SSIZE_T_MAX, 1) != -1) {
            Py_DECREF(s);
            return DECLINED;
        }
        return s;
    }
    default: {  /* K_DATE, K_STAMP */
        char out[24];
        int n = instant_text(p, w, v, out);
        return n == 0 ? DECLINED : PyUnicode_FromStringAndSize(out, n);
    }
    }
}

/* Whether a JSON string needs escaping (what encode_basestring escapes: " \ and < 0x20). */
static int
needs_escape(PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x20 || c == '"' || c == '\\')
            return 1;
    }
    return 0;
}

#define MAX_PARTS 256

/* One record's text: a new reference, DECLINED, or NULL with an error set. */
static PyObject *
write_record(const WProgram *p, PyObject *record)
{
    PyObject *parts[MAX_PARTS];
    int owned[MAX_PARTS];
    Py_ssize_t n = 0;
    PyObject *out = DECLINED;
    if (!Py_IS_TYPE(record, p->model) || 5 * p->nslots + 2 > MAX_PARTS)
        return DECLINED;
    parts[n] = p->prefix;
    owned[n++] = 0;
    for (Py_ssize_t k = 0; k < p->nslots; k++) {
        const WSlot *w = &p->slots[k];
        PyObject *v = w->get(w->descr, record, (PyObject *)p->model);
        if (v == NULL) {
            PyErr_Clear();  /* an unset slot: the reference writer says so */
            goto done;
        }
        if (v == Py_None) {
            Py_DECREF(v);
            if (!w->optional)
                goto done;
            parts[n] = w->absent;
            owned[n++] = 0;
            continue;
        }
        PyObject *text = wire_text(p, w, v);
        Py_DECREF(v);
        if (text == NULL || text == DECLINED) {
            out = text;
            goto done;
        }
        parts[n] = w->lead;
        owned[n++] = 0;
        if (w->escape == 1 && needs_escape(text)) {
            PyObject *quoted = PyObject_CallOneArg(p->encode_basestring, text);
            Py_DECREF(text);
            if (quoted == NULL) {
                out = NULL;
                goto done;
            }
            parts[n] = quoted;
            owned[n++] = 1;
        } else if (w->escape == 1) {
            parts[n] = p->quote;
            owned[n++] = 0;
            parts[n] = text;
            owned[n++] = 1;
            parts[n] = p->quote;
            owned[n++] = 0;
        } else {
            parts[n] = text;
            owned[n++] = 1;
        }
        parts[n] = w->trail;
        owned[n++] = 0;
    }
    parts[n] = p->suffix;
    owned[n++] = 0;
    {
        Py_ssize_t length = 0;
        Py_UCS4 maxchar = 127;
        for (Py_ssize_t i = 0; i < n; i++) {
            length += PyUnicode_GET_LENGTH(parts[i]);
            Py_UCS4 m = PyUnicode_MAX_CHAR_VALUE(parts[i]);
            if (m > maxchar)
                maxchar = m;
        }
        out = PyUnicode_New(length, maxchar);
        if (out != NULL) {
            Py_ssize_t at = 0;
            for (Py_ssize_t i = 0; i < n; i++) {
                Py_ssize_t len = PyUnicode_GET_LENGTH(parts[i]);
                if (len && PyUnicode_CopyCharacters(out, at, parts[i], 0, len) < 0) {
                    Py_CLEAR(out);
                    break;
                }
                at += len;
            }
        }
    }
done:
    for (Py_ssize_t i = 0; i < n; i++)
        if (owned[i])
            Py_DECREF(parts[i]);
    return out;
}

static PyObject *
native_write(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyTuple_Check(args[0]) || !PyList_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "write(program: tuple, records: list)");
        return NULL;
    }
    WProgram p;
    if (wprogram_load(args[0], &p) < 0)
        return NULL;
    PyObject *records = args[1];
    Py_ssize_t n = PyList_GET_SIZE(records);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        goto done;
    for (Py_ssize_t r = 0; r < n; r++) {
        if (r >= PyList_GET_SIZE(records)) {  /* records shrank under a call: leave it */
            Py_SETREF(out, Py_NewRef(Py_None));
            goto done;
        }
        /* owned, so that no call (a descriptor's getter) can free it under us */
        PyObject *record = Py_NewRef(PyList_GET_ITEM(records, r));
        PyObject *text = write_record(&p, record);
        Py_DECREF(record);
        if (text == NULL || text == DECLINED) {
            Py_CLEAR(out);
            if (text == NULL && !PyErr_ExceptionMatches(PyExc_MemoryError))
                PyErr_Clear();  /* str() of a huge int and the like: the reference decides */
            if (!PyErr_Occurred())
                out = Py_NewRef(Py_None);
            goto done;
        }
        PyList_SET_ITEM(out, r, text);
    }
    if (n != PyList_GET_SIZE(records))  /* records grew under a call */
        Py_SETREF(out, Py_NewRef(Py_None));
done:
    PyMem_Free(p.slots);
    return out;
}

/* -- writing a whole body as UTF-8 -------------------------------------------------------- */

/*
 * write_utf8(program, records, opening, separator, closing, spanning) -> the UTF-8 bytes of
 * opening + separator.join(each record's text) + closing, as write() spells each record, or
 * None where write() would decline any record or a text cannot be encoded (a lone surrogate:
 * the pure-Python path then says where). The index of each record whose free text (written
 * as it is, fmt 0/1) spans lines is appended to the list spanning.
 */

typedef struct {
    char *data;
    size_t len, cap;
} Buffer;

static int
buf_grow(Buffer *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + more)
        cap *= 2;
    char *data = PyMem_Realloc(b->data, cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static int
buf_put(Buffer *b, const char *s, size_t n)
{
    if (n == 0)  /* b->data may still be NULL: memcpy(NULL, s, 0) is undefined (UBSan) */
        return 0;
    if (buf_grow(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

/*
 * A str's UTF-8 straight into the buffer: 0, 1 (declined) or -1 (an error is set). With json,
 * each character encode_basestring escapes (" \ and those below 0x20) is written as it writes
 * it. Declined: a character forbid names (1: a line break, 2: a comma), or a lone surrogate,
 * which UTF-8 cannot hold (the pure-Python path then says where).
 */
#define PUT_TEXT_LOOP(TYPE)                                                                   \
    do {                                                                                      \
        const TYPE *c = (const TYPE *)data;                                                   \
        for (Py_ssize_t i = 0; i < n; i++) {                                                  \
            Py_UCS4 ch = c[i];                                                                \
            if (ch < 0x80) {                                                                  \
                if (!special[ch]) {                                                           \
                    *o++ = (char)ch;                                                          \
                } else {                                                                      \
                    if ((ch == '\n' && (forbid & 1)) || (ch == ',' && (forbid & 2)))          \
                        return 1;                                                             \
                    if (json && (ch < 0x20 || ch == '"' || ch == '\\'))                       \
                        o = put_escape(o, ch);                                                \
                    else                                                                      \
                        *o++ = (char)ch;                                                      \
                }                                                                             \
            } else if (ch < 0x800) {                                                          \
                *o++ = (char)(0xC0 | (ch >> 6));                                              \
                *o++ = (char)(0x80 | (ch & 0x3F));                                            \
            } else if (ch < 0x10000) {                                                        \
                if (ch >= 0xD800 && ch <= 0xDFFF)                                             \
                    return 1;                                                                 \
                *o++ = (char)(0xE0 | (ch >> 12));                                             \
                *o++ = (char)(0x80 | ((ch >> 6) & 0x3F));                                     \
                *o++ = (char)(0x80 | (ch & 0x3F));                                            \
            } else {                                                                          \
                *o++ = (char)(0xF0 | (ch >> 18));                                             \
                *o++ = (char)(0x80 | ((ch >> 12) & 0x3F));                                    \
                *o++ = (char)(0x80 | ((ch >> 6) & 0x3F));                                     \
                *o++ = (char)(0x80 | (ch & 0x3F));                                            \
            }                                                                                 \
        }                                                                                     \
    } while (0)

/* One character as encode_basestring escapes it. */
static char *
put_escape(char *o, Py_UCS4 ch)
{
    static const char hex[] = "0123456789abcdef";
    *o++ = '\\';
    switch (ch) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[ch >> 4];
        *o++ = hex[ch & 0xF];
    }
    return o;
}

static int
buf_put_text(Buffer *b, PyObject *s, int json, int forbid)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    const void *data = PyUnicode_DATA(s);
    if (n == 0)  /* nothing to write, and b->data may be NULL (no pointer arithmetic on it) */
        return 0;
    if (PyUnicode_IS_ASCII(s) && !json && !forbid)
        return buf_put(b, data, (size_t)n);
    if ((size_t)n > ((size_t)PY_SSIZE_T_MAX - b->len) / 6) {
        PyErr_NoMemory();
        return -1;
    }
    if (buf_grow(b, (size_t)n * 6) < 0)  /* the most one character takes: \u00XX */
        return -1;
    /* the ASCII characters that need a look: those forbid names, and those json escapes */
    static unsigned char specials[4][2][128];
    static int ready = 0;
    if (!ready) {
        for (int f = 0; f < 4; f++)
            for (int j = 0; j < 2; j++)
                for (int ch = 0; ch < 128; ch++)
                    specials[f][j][ch] = (ch == '\n' && (f & 1)) || (ch == ',' && (f & 2)) ||
                                         (j && (ch < 0x20 || ch == '"' || ch == '\\'));
        ready = 1;
    }
    const unsigned char *special = specials[forbid & 3][json != 0];
    char *o = b->data + b->len;
    if (PyUnicode_IS_ASCII(s)) {  /* most values: copied whole where nothing needs a look */
        const Py_UCS1 *c = data;
        Py_ssize_t i = 0;
        while (i < n && !special[c[i]])
            i++;
        if (i == n) {
            memcpy(o, c, (size_t)n);
            b->len += (size_t)n;
            return 0;
        }
    }
    switch (PyUnicode_KIND(s)) {
    case PyUnicode_1BYTE_KIND:
        PUT_TEXT_LOOP(Py_UCS1);
        break;
    case PyUnicode_2BYTE_KIND:
        PUT_TEXT_LOOP(Py_UCS2);
        break;
    default:
        PUT_TEXT_LOOP(Py_UCS4);
    }
    b->len = (size_t)(o - b->data);
    return 0;
}

static int
buf_put_digits(Buffer *b, long long v)
{
    char digits[24];
    return buf_put(b, digits, (size_t)put_int(digits, v));
}

/* One present value, lead and trail included: 0, 1 (declined) or -1 (an error is set). */
static int
put_value(Buffer *b, const WProgram *p, const WSlot *w, PyObject *v)
{
    if (buf_put(b, w->open, (size_t)w->open_n) < 0)  /* lead, and an opening quote */
        return -1;
    switch (w->kind) {
    case K_TEXT: {
        if (!PyUnicode_CheckExact(v))
            return 1;
        int out = buf_put_text(b, v, w->escape == 1, w->forbid);
        if (out != 0)
            return out;
        break;
    }
    case K_INT:
    case K_TZ: {
        if (!PyLong_CheckExact(v))
            return 1;
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow) {
            PyObject *text = PyObject_Str(v);  /* past the digit limit: a ValueError */
            if (text == NULL || buf_put_text(b, text, 0, 0) < 0) {
                Py_XDECREF(text);
                return -1;
            }
            Py_DECREF(text);
        } else if (buf_put_digits(b, x) < 0) {
            return -1;
        }
        break;
    }
    case K_MONEY: {  /* as write() spells it */
        PyObject *text = wire_text(p, w, v);
        if (text == NULL)
            return -1;
        if (text == DECLINED)
            return 1;
        int failed = buf_put_text(b, text, 0, 0) < 0;
        Py_DECREF(text);
        if (failed)
            return -1;
        break;
    }
    default: {  /* instants */
        char text[24];
        int n = instant_text(p, w, v, text);
        if (n == 0)
            return 1;
        if (buf_put(b, text, (size_t)n) < 0)
            return -1;
    }
    }
    return buf_put(b, w->close, (size_t)w->close_n);  /* a closing quote, and trail */
}

/* One record: 0, 1 (declined) or -1 (an error is set). */
static int
put_record(Buffer *b, const WProgram *p, PyObject *record, int *spans)
{
    if (!Py_IS_TYPE(record, p->model))
        return 1;
    if (buf_put_text(b, p->prefix, 0, 0) < 0)
        return -1;
    for (Py_ssize_t k = 0; k < p->nslots; k++) {
        const WSlot *w = &p->slots[k];
        PyObject *v = w->get(w->descr, record, (PyObject *)p->model);
        if (v == NULL) {
            PyErr_Clear();
            return 1;
        }
        int out;
        if (v == Py_None)
            out = !w->optional ? 1 : buf_put_text(b, w->absent, 0, 0);
        else
            out = put_value(b, p, w, v);
        if (out == 0 && w->kind == K_TEXT && !w->escape && !(w->forbid & 1) && v != Py_None &&
            PyUnicode_FindChar(v, '\n', 0, PY_SSIZE_T_MAX, 1) >= 0)
            *spans = 1;  /* the free text, written as it is, spans lines */
        Py_DECREF(v);
        if (out != 0)
            return out;
    }
    return buf_put_text(b, p->suffix, 0, 0);
}

static PyObject *
native_write_utf8(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyTuple_Check(args[0]) || !PyList_CheckExact(args[1]) ||
        !PyUnicode_Check(args[2]) || !PyUnicode_Check(args[3]) || !PyUnicode_Check(args[4]) ||
        !PyList_CheckExact(args[5])) {
        PyErr_SetString(PyExc_TypeError, "write_utf8(program: tuple, records: list, opening, "
                                         "separator, closing, spanning: list)");
        return NULL;
    }
    PyObject *spanning = args[5];
    WProgram p;
    if (wprogram_load(args[0], &p) < 0)
        return NULL;
    PyObject *records = Py_NewRef(args[1]);
    Buffer b = {NULL, 0, 0};
    PyObject *out = NULL;
    int state = buf_put_text(&b, args[2], 0, 0);
    for (Py_ssize_t r = 0; state == 0 && r < PyList_GET_SIZE(records); r++) {
        if (r > 0 && buf_put_text(&b, args[3], 0, 0) < 0) {
            state = -1;
            break;
        }
        PyObject *record = Py_NewRef(PyList_GET_ITEM(records, r));
        int spans = 0;
        state = put_record(&b, &p, record, &spans);
        Py_DECREF(record);
        if (state == 0 && spans) {
            PyObject *index = PyLong_FromSsize_t(r);
            if (index == NULL || PyList_Append(spanning, index) < 0)
                state = -1;
            Py_XDECREF(index);
        }
    }
    if (state == 0)
        state = buf_put_text(&b, args[4], 0, 0);
    if (state == 0)
        out = PyBytes_FromStringAndSize(b.data ? b.data : "", (Py_ssize_t)b.len);
    else if (state == 1 || !PyErr_ExceptionMatches(PyExc_MemoryError)) {
        PyErr_Clear();  /* declined, or an error the pure-Python path meets again and reports */
        out = Py_NewRef(Py_None);
    }
    PyMem_Free(b.data);
    PyMem_Free(p.slots);
    Py_DECREF(records);
    return out;
}

/* -- cutting fmt=1 lines: the compiled half of codecs/line_tokens.py ---------------------- */

/*
 * cut_lines(text, shapes, width, free, count) -> the raw values of every record of a whole
 * fmt=1 list body, one list of width strs per record, exactly as
 * [values_function(plan)(t) for t in record_texts(text, plan)] gives them, or None where that
 * gives None (an orphan, a line before the first record, a record of another width, a line
 * break outside the free text) or anything is unusual. The rules are line_tokens' own:
 *
 *   line breaks  the first decides: after "\r\n" every "\r\n" is one; empty lines at the end
 *                are dropped
 *   heads        count 0: the line holds len(shapes) commas, and the values before them have
 *                their shapes (empty allowed where optional), which is head_pattern's match;
 *                count 1: the line holds exactly width - 1 commas; count 2: at least that many
 *   records      a head begins one; with count 0 (a free text that spans lines) any other line
 *                continues it, joined by "\n"; otherwise any other line declines
 *   values       free (-1: none) cuts: its commas from the left, the rest from the right
 *
 * shapes: a tuple of (shape, optional) for the values before the free text, shape 0 text
 * ([^,\n]*), 1 integer (-?[0-9]+), 2 decimal (-?[0-9]+(?:\.[0-9]+)?), 3 a date
 * (DD.MM.YYYY hh:mm:ss, digits only checked) and 4 a UTC offset ([+-]?[0-9]{1,2}).
 */

enum { S_TEXT, S_INT, S_MONEY, S_DATE, S_TZ };

typedef struct {
    int kind;
    const void *data;
} Chars;

#define CH(c, i) PyUnicode_READ((c)->kind, (c)->data, (i))

static int
is_digit(Py_UCS4 ch)
{
    return ch >= '0' && ch <= '9';
}

/* Whether chars [a, b) (no comma or line break among them) have the shape. */
static int
shaped(const Chars *c, Py_ssize_t a, Py_ssize_t b, int shape, int optional)
{
    Py_ssize_t i = a;
    if (a == b)
        return optional || shape == S_TEXT;
    switch (shape) {
    case S_TEXT:
        return 1;
    case S_INT:
    case S_MONEY: {
        if (CH(c, i) == '-')
            i++;
        Py_ssize_t start = i;
        while (i < b && is_digit(CH(c, i)))
            i++;
        if (i == start)
            return 0;
        if (i == b)
            return 1;
        if (shape == S_INT || CH(c, i) != '.')
            return 0;
        start = ++i;
        while (i < b && is_digit(CH(c, i)))
            i++;
        return i > start && i == b;
    }
    case S_DATE: {
        static const char mask[] = "99.99.9999 99:99:99";
        if (b - a != 19)
            return 0;
        for (Py_ssize_t k = 0; k < 19; k++) {
            Py_UCS4 ch = CH(c, a + k);
            if (mask[k] == '9' ? !is_digit(ch) : ch != (Py_UCS4)mask[k])
                return 0;
        }
        return 1;
    }
    default: {  /* S_TZ */
        if (CH(c, i) == '+' || CH(c, i) == '-')
            i++;
        Py_ssize_t digits = b - i;
        if (digits < 1 || digits > 2)
            return 0;
        for (; i < b; i++)
            if (!is_digit(CH(c, i)))
                return 0;
        return 1;
    }
    }
}

typedef struct {
    Py_ssize_t start, end;  /* a physical line, its line break (and "\r") left out */
} Span;

typedef struct {
    const int *shape;
    const int *optional;
    Py_ssize_t nshapes, width, free;
    int count;
} Cutter;

static Py_ssize_t
commas_in(const Chars *c, Span line)
{
    Py_ssize_t n = 0;
    for (Py_ssize_t i = line.start; i < line.end; i++)
        n += CH(c, i) == ',';
    return n;
}

static int
begins_record(const Chars *c, const Cutter *cut, Span line)
{
    if (cut->count) {
        Py_ssize_t n = commas_in(c, line);
        return cut->count == 1 ? n == cut->width - 1 : n >= cut->width - 1;
    }
    Py_ssize_t at = line.start;
    for (Py_ssize_t k = 0; k < cut->nshapes; k++) {
        Py_ssize_t end = at;
        while (end < line.end && CH(c, end) != ',')
            end++;
        if (end == line.end || !shaped(c, at, end, cut->shape[k], cut->optional[k]))
            return 0;
        at = end + 1;
    }
    return 1;
}

/* Append text[a:b] to row as a new str: 0, or -1 with an error set. */
static int
put_piece(PyObject *row, PyObject *text, Py_ssize_t a, Py_ssize_t b)
{
    PyObject *piece = PyUnicode_Substring(text, a, b);
    if (piece == NULL)
        return -1;
    int out = PyList_Append(row, piece);
    Py_DECREF(piece);
    return out;
}

/* The free text of a record that spans lines[first..last]: from at in the first line to
   stop in the last, its lines joined by "\n". */
static PyObject *
joined(PyObject *text, const Span *lines, Py_ssize_t first, Py_ssize_t last, Py_ssize_t at,
       Py_ssize_t stop)
{
    PyObject *parts = PyList_New(0);
    if (parts == NULL)
        return NULL;
    for (Py_ssize_t k = first; k <= last; k++) {
        Py_ssize_t a = k == first ? at : lines[k].start, b = k == last ? stop : lines[k].end;
        if (put_piece(parts, text, a, b) < 0) {
            Py_DECREF(parts);
            return NULL;
        }
    }
    PyObject *sep = PyUnicode_FromOrdinal('\n');
    PyObject *out = sep == NULL ? NULL : PyUnicode_Join(sep, parts);
    Py_XDECREF(sep);
    Py_DECREF(parts);
    return out;
}

/* One record's values: a new list, DECLINED, or NULL with an error set. */
static PyObject *
cut_record(const Chars *c, const Cutter *cut, PyObject *text, const Span *lines,
           Py_ssize_t first, Py_ssize_t last)
{
    Span head = lines[first], tail = lines[last];
    Py_ssize_t free = cut->free, width = cut->width;
    Py_ssize_t left = free < 0 ? width - 1 : free;  /* commas cut from the left */
    Py_ssize_t right = free < 0 ? 0 : width - free - 1;  /* and from the right */
    if (free < 0 && first != last)
        return DECLINED;  /* a line break in a record without free text */
    PyObject *row = PyList_New(0);
    if (row == NULL)
        return NULL;
    Py_ssize_t at = head.start;
    for (Py_ssize_t k = 0; k < left; k++) {
        Py_ssize_t end = at;
        while (end < head.end && CH(c, end) != ',')
            end++;
        if (end == head.end)
            goto declined;  /* too few values, or one holds a line break */
        if (put_piece(row, text, at, end) < 0)
            goto error;
        at = end + 1;
    }
    if (free < 0) {  /* the last value: the rest, which must hold no comma */
        for (Py_ssize_t i = at; i < head.end; i++)
            if (CH(c, i) == ',')
                goto declined;
        if (put_piece(row, text, at, head.end) < 0)
            goto error;
        return row;
    }
    /* the values after the free text: its last `right` commas, all in the last line */
    Py_ssize_t cuts[256];
    if (right > 256)
        goto declined;
    Py_ssize_t floor = first == last ? at : tail.start, stop = tail.end;
    for (Py_ssize_t k = right - 1; k >= 0; k--) {
        Py_ssize_t i = stop;
        while (i > floor && CH(c, i - 1) != ',')
            i--;
        if (i == floor)
            goto declined;  /* too few values, or one holds a line break */
        cuts[k] = i - 1;
        stop = i - 1;
    }
    PyObject *middle = first == last ? PyUnicode_Substring(text, at, stop)
                                     : joined(text, lines, first, last, at, stop);
    if (middle == NULL)
        goto error;
    int failed = PyList_Append(row, middle);
    Py_DECREF(middle);
    if (failed)
        goto error;
    for (Py_ssize_t k = 0; k < right; k++)
        if (put_piece(row, text, cuts[k] + 1, k + 1 < right ? cuts[k + 1] : tail.end) < 0)
            goto error;
    return row;
declined:
    Py_DECREF(row);
    return DECLINED;
error:
    Py_DECREF(row);
    return NULL;
}

static PyObject *
native_cut_lines(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyUnicode_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "cut_lines(text, shapes, width, free, count)");
        return NULL;
    }
    PyObject *text = args[0], *shapes = args[1];
    Cutter cut;
    Py_ssize_t number[3];  /* width, free, count */
    for (int k = 0; k < 3; k++) {
        if (!PyLong_Check(args[2 + k])) {
            PyErr_SetString(PyExc_TypeError, "cut_lines: width, free and count are ints");
            return NULL;
        }
        number[k] = PyLong_AsSsize_t(args[2 + k]);
        if (number[k] == -1 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError))
                return NULL;
            PyErr_Clear();
            number[k] = -2;  /* out of every range below */
        }
    }
    cut.width = number[0];
    cut.free = number[1];
    cut.nshapes = PyTuple_GET_SIZE(shapes);
    /* as line_tokens.cutter: never a program where an empty line would begin a record
       (count 0 with no shape before the free text; one value counted by its commas) */
    if (cut.width < 1 || cut.free < -1 || cut.free >= cut.width || number[2] < 0 ||
        number[2] > 2 || cut.nshapes > 256 || (number[2] == 0 && cut.nshapes != cut.free) ||
        (number[2] == 0 && cut.free == 0) || (number[2] != 0 && cut.width == 1)) {
        PyErr_SetString(PyExc_ValueError, "bad cutter");
        return NULL;
    }
    cut.count = (int)number[2];
    int shape[256], optional[256];
    for (Py_ssize_t k = 0; k < cut.nshapes; k++) {
        PyObject *item = PyTuple_GET_ITEM(shapes, k);
        if (!PyTuple_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "cut_lines: each shape is a (code, optional) tuple");
            return NULL;
        }
        if (!PyArg_ParseTuple(item, "ip", &shape[k], &optional[k])) {
            if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
                PyErr_Clear();
                PyErr_SetString(PyExc_ValueError, "bad shape");
            }
            return NULL;
        }
        if (shape[k] < S_TEXT || shape[k] > S_TZ) {
            PyErr_SetString(PyExc_ValueError, "bad shape");
            return NULL;
        }
    }
    cut.shape = shape;
    cut.optional = optional;
    Chars c = {PyUnicode_KIND(text), PyUnicode_DATA(text)};
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    Py_ssize_t first_break = PyUnicode_FindChar(text, '\n', 0, n, 1);
    if (first_break == -2)
        return NULL;
    int crlf = first_break > 0 && CH(&c, first_break - 1) == '\r';
    Py_ssize_t nlines = 0, cap = 1024;
    Span *lines = PyMem_Malloc(cap * sizeof(Span));
    PyObject *out = NULL;
    if (lines == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t at = 0; at <= n;) {
        Py_ssize_t end = PyUnicode_FindChar(text, '\n', at, n, 1);
        if (end == -2)
            goto done;
        int last = end == -1;
        if (last)
            end = n;
        if (nlines == cap) {
            Span *more = PyMem_Realloc(lines, 2 * cap * sizeof(Span));
            if (more == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            lines = more;
            cap *= 2;
        }
        lines[nlines].start = at;
        lines[nlines].end = !last && crlf && end > at && CH(&c, end - 1) == '\r' ? end - 1 : end;
        nlines++;
        at = end + 1;
    }
    while (nlines && lines[nlines - 1].start == lines[nlines - 1].end)
        nlines--;  /* empty lines at the end */
    out = PyList_New(0);
    if (out == NULL || nlines == 0)
        goto done;
    Py_ssize_t first = 0;
    if (!begins_record(&c, &cut, lines[0]))
        goto declined;
    while (first < nlines) {
        Py_ssize_t last = first;
        while (last + 1 < nlines && !begins_record(&c, &cut, lines[last + 1])) {
            if (cut.count)
                goto declined;  /* an orphan, or a line the tokenizer skips */
            last++;
        }
        PyObject *row = cut_record(&c, &cut, text, lines, first, last);
        if (row == NULL)
            goto error;
        if (row == DECLINED)
            goto declined;
        int failed = PyList_Append(out, row);
        Py_DECREF(row);
        if (failed)
            goto error;
        first = last + 1;
    }
    goto done;
declined:
    Py_SETREF(out, Py_NewRef(Py_None));
    goto done;
error:
    Py_CLEAR(out);
done:
    PyMem_Free(lines);
    return out;
}

/* -- counting JSON keys: the compiled half of codecs/json_tokens.unrepeated --------------- */

#define KEY_MARKS_LOOP(TYPE)                                                                  \
    do {                                                                                      \
        const TYPE *c = (const TYPE *)data;                                                   \
        for (Py_ssize_t i = 0; i < n; i++) {                                                  \
            if (sizeof(TYPE) == 1) {                                                          \
                const void *q = memchr(c + i, '"', (size_t)(n - i));                          \
                if (q == NULL)                                                                \
                    break;                                                                    \
                i = (const TYPE *)q - c;                                                      \
            } else if (c[i] != '"') {                                                         \
                continue;                                                                     \
            }                                                                                 \
            Py_ssize_t j = i + 1;                                                             \
            if (j < n && c[j] == ':') {                                                       \
                colons++;                                                                     \
                continue;                                                                     \
            }                                                                                 \
            while (j < n && (c[j] == ' ' || c[j] == '\t' || c[j] == '\n' || c[j] == '\r'))    \
                j++;                                                                          \
            if (j > i + 1 && j < n && c[j] == ':')                                            \
                spaced = 1;                                                                   \
        }                                                                                     \
    } while (0)

/* key_marks(text: str | bytes) -> (how often '":' occurs, whether '"[ \t\n\r]+:' occurs). */
static PyObject *
native_key_marks(PyObject *Py_UNUSED(module), PyObject *text)
{
    Py_ssize_t colons = 0, n;
    int spaced = 0;
    const void *data;
    if (PyBytes_Check(text)) {
        data = PyBytes_AS_STRING(text);
        n = PyBytes_GET_SIZE(text);
        KEY_MARKS_LOOP(unsigned char);
    } else if (PyUnicode_Check(text)) {
        data = PyUnicode_DATA(text);
        n = PyUnicode_GET_LENGTH(text);
        switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND:
            KEY_MARKS_LOOP(Py_UCS1);
            break;
        case PyUnicode_2BYTE_KIND:
            KEY_MARKS_LOOP(Py_UCS2);
            break;
        default:
            KEY_MARKS_LOOP(Py_UCS4);
        }
    } else {
        PyErr_SetString(PyExc_TypeError, "key_marks(text: str | bytes)");
        return NULL;
    }
    return Py_BuildValue("(nO)", colons, spaced ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"read", (PyCFunction)(void (*)(void))native_read, METH_FASTCALL,
     "read(program, rows) -> list of records, or None where the pure-Python readers must "
     "decide."},
    {"write", (PyCFunction)(void (*)(void))native_write, METH_FASTCALL,
     "write(program, records) -> list of each record's text, or None where the pure-Python "
     "writers must decide."},
    {"write_utf8", (PyCFunction)(void (*)(void))native_write_utf8, METH_FASTCALL,
     "write_utf8(program, records, opening, separator, closing, spanning) -> the whole body as "
     "UTF-8, "
     "or None where the pure-Python writers must decide."},
    {"cut_lines", (PyCFunction)(void (*)(void))native_cut_lines, METH_FASTCALL,
     "cut_lines(text, shapes, width, free, count) -> every record's raw values of a whole "
     "fmt=1 list body, or None where the pure-Python tokenizer must decide."},
    {"key_marks", native_key_marks, METH_O,
     "key_marks(text) -> (how often '\":' occurs, whether a '\"' then blanks then ':' "
     "occurs): what json_tokens.unrepeated counts, in one pass."},
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
