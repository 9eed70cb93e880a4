//! Tables as Parquet datasets: `DIR/<table>/part-NNNNN.parquet`, zstd, rows in the order
//! they are appended; list columns as Parquet lists (`list<item: T>`), which pandas,
//! pyarrow and `ak.from_parquet` read as jagged arrays.
//!
//! Input: table batches (`abi::TableBuffer`), appended in chunk order by the executor.
//! Output: part files of at most `rows_per_part` rows, row groups of at most
//! [`ROW_GROUP_ROWS`]; `pandas.read_parquet(DIR/<table>)` reads the table whole.
//! Invariant: there is always at least one part (an empty table is one part with the schema
//! and no rows), so readers see the columns and their types.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ana_compiler::abi::{OutColumn, OutValues, TableBuffer};
use ana_compiler::graph::{ColumnSpec, ColumnType, TableSpec};
use arrow::array::StringArray;
use arrow::array::{
    ArrayRef, BooleanArray, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array,
    Int64Array, ListArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::OutputError;

/// Rows per row group: large enough for good compression and fast scans, small enough that
/// a reader can stream.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Rows per part file by default.
pub const ROWS_PER_PART: usize = 1 << 20;

/// How a table's batches become Arrow record batches: the schema of the visible columns,
/// and per visible column its index in the batch, its type, and the index of its validity
/// column when it is nullable (`TableSpec::nullable`).
#[derive(Clone, Debug)]
struct Layout {
    name: String,
    schema: SchemaRef,
    columns: Vec<(usize, ColumnType, Option<usize>)>,
    strings: Arc<Vec<String>>,
}

impl Layout {
    fn new(spec: &TableSpec, strings: Arc<Vec<String>>) -> Layout {
        let hidden: Vec<usize> = spec.nullable.iter().map(|&(_, v)| v).collect();
        let mut fields = Vec::new();
        let mut columns = Vec::new();
        for (i, c) in spec.columns.iter().enumerate() {
            if hidden.contains(&i) {
                continue;
            }
            let valid = spec
                .nullable
                .iter()
                .find(|&&(c, _)| c == i)
                .map(|&(_, v)| v);
            let nullable = valid.is_some() || c.dtype == ColumnType::Str;
            fields.push(field(c, nullable));
            columns.push((i, c.dtype, valid));
        }
        Layout {
            name: spec.name.clone(),
            schema: Arc::new(Schema::new(fields)),
            columns,
            strings,
        }
    }

    /// A batch of rows as record batches (one, unless its lists outgrow Arrow's offsets).
    fn batches(&self, buf: TableBuffer) -> Result<Vec<RecordBatch>, OutputError> {
        let bad = |message: String| OutputError::Table {
            table: self.name.clone(),
            message,
        };
        let mut out = Vec::new();
        for piece in pieces(buf, i32::MAX as u64).map_err(bad)? {
            let mut cols: Vec<Option<OutColumn>> = piece.columns.into_iter().map(Some).collect();
            let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
            for (f, &(i, dtype, valid)) in self.schema.fields().iter().zip(&self.columns) {
                let valid = match valid.and_then(|v| cols.get(v)) {
                    Some(Some(OutColumn {
                        values: OutValues::Bool(v),
                        ..
                    })) => Some(v.clone()),
                    _ => None,
                };
                let col = cols
                    .get_mut(i)
                    .and_then(Option::take)
                    .ok_or_else(|| bad(format!("batch without column {i}")))?;
                columns.push(array(f, col, dtype, valid.as_deref(), &self.strings).map_err(bad)?);
            }
            out.push(
                RecordBatch::try_new(self.schema.clone(), columns)
                    .map_err(|e| bad(e.to_string()))?,
            );
        }
        Ok(out)
    }
}

/// A table's rows in memory as Arrow arrays, built from the run's column vectors (booleans
/// are packed into bits): the Python module hands their memory to pyarrow as it is (see
/// [`Table::columns`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    name: String,
    batch: RecordBatch,
}

/// A column's values where they lie in memory: Arrow's layout for a non-null array of
/// `arrow_type` (`bool` bit-packed, least significant bit first; numbers little-endian).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawColumn {
    pub name: String,
    /// pyarrow's type name: "bool", "int8" ... "uint64", "float32", "float64".
    pub arrow_type: &'static str,
    pub address: usize,
    pub bytes: usize,
    pub rows: usize,
}

impl Table {
    pub fn new(
        spec: &TableSpec,
        strings: Arc<Vec<String>>,
        buf: TableBuffer,
    ) -> Result<Table, OutputError> {
        let layout = Layout::new(spec, strings);
        let mut batches = layout.batches(buf)?;
        let batch = match batches.len() {
            1 => batches.pop(),
            _ => None,
        }
        .ok_or_else(|| OutputError::Table {
            table: spec.name.clone(),
            message: "too many list elements to hold in memory as one Arrow batch".into(),
        })?;
        Ok(Table {
            name: spec.name.clone(),
            batch,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// The rows as one Arrow struct array and its schema, exported through the Arrow C data
    /// interface: the importer (pyarrow) shares the table's memory, of every column type
    /// (lists, strings and nulls included), and releases it when done.
    pub fn to_c_data(
        &self,
    ) -> Result<(arrow::ffi::FFI_ArrowArray, arrow::ffi::FFI_ArrowSchema), String> {
        use arrow::array::Array;
        let rows = arrow::array::StructArray::from(self.batch.clone());
        arrow::ffi::to_ffi(&rows.to_data()).map_err(|e| e.to_string())
    }

    /// Each column's values buffer. The memory stays valid, and unchanged, as long as the
    /// table lives. A column that is not a plain one (a list, strings, or with missing
    /// values) is an error naming it: the Python module cannot hand those over yet.
    pub fn columns(&self) -> Result<Vec<RawColumn>, String> {
        use arrow::array::Array;
        let schema = self.batch.schema();
        self.batch
            .columns()
            .iter()
            .zip(schema.fields())
            .map(|(a, f)| {
                let unsupported = || {
                    format!(
                        "column {} ({}{}) cannot be handed over in memory yet: write the \
                         results (`write(dir)`) and read the Parquet table",
                        f.name(),
                        a.data_type(),
                        if a.null_count() > 0 {
                            ", with nulls"
                        } else {
                            ""
                        }
                    )
                };
                let arrow_type = match a.data_type() {
                    DataType::Boolean => "bool",
                    DataType::Int8 => "int8",
                    DataType::UInt8 => "uint8",
                    DataType::Int16 => "int16",
                    DataType::UInt16 => "uint16",
                    DataType::Int32 => "int32",
                    DataType::UInt32 => "uint32",
                    DataType::Int64 => "int64",
                    DataType::UInt64 => "uint64",
                    DataType::Float32 => "float32",
                    DataType::Float64 => "float64",
                    _ => return Err(unsupported()),
                };
                let data = a.to_data();
                // Arrays built by `array` start at offset 0 and have one values buffer.
                if data.offset() != 0 || a.null_count() > 0 {
                    return Err(unsupported());
                }
                let values = data.buffers().first().ok_or_else(unsupported)?;
                Ok(RawColumn {
                    name: f.name().clone(),
                    arrow_type,
                    address: values.as_ptr() as usize,
                    bytes: values.len(),
                    rows: a.len(),
                })
            })
            .collect()
    }
}

/// Writes one table's part files, in append order.
pub struct TableWriter {
    dir: PathBuf,
    name: String,
    schema: SchemaRef,
    layout: Layout,
    rows_per_part: usize,
    writer: Option<ArrowWriter<File>>,
    rows_in_part: usize,
    parts: usize,
    rows: u64,
}

/// What a finished table wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSummary {
    pub name: String,
    pub rows: u64,
    pub parts: usize,
}

fn data_type(t: ColumnType) -> DataType {
    match t {
        ColumnType::Bool => DataType::Boolean,
        ColumnType::I8 => DataType::Int8,
        ColumnType::U8 => DataType::UInt8,
        ColumnType::I16 => DataType::Int16,
        ColumnType::U16 => DataType::UInt16,
        ColumnType::I32 => DataType::Int32,
        ColumnType::U32 => DataType::UInt32,
        ColumnType::I64 => DataType::Int64,
        ColumnType::U64 => DataType::UInt64,
        ColumnType::F32 => DataType::Float32,
        ColumnType::F64 => DataType::Float64,
        ColumnType::Str => DataType::Utf8,
    }
}

/// A column's field: a value per row, or a list (`list<item: T>`, as pyarrow names it; the
/// items nullable, as pyarrow's default list type).
fn field(c: &ColumnSpec, nullable: bool) -> Field {
    let t = data_type(c.dtype);
    if c.list {
        Field::new_list(&c.name, Field::new_list_field(t, true), false)
    } else {
        Field::new(&c.name, t, nullable)
    }
}

/// Values as an Arrow array: null where `valid` is false; string ids (`ColumnType::Str`)
/// as their strings (an id that names no string is null).
fn values_array(
    v: OutValues,
    dtype: ColumnType,
    valid: Option<&[bool]>,
    strings: &[String],
) -> ArrayRef {
    // No null buffer when every value is present: readers (and the Python module's
    // zero-copy hand-over) then see a plain column.
    let nulls = valid
        .filter(|v| v.iter().any(|&x| !x))
        .map(|v| NullBuffer::from(v.to_vec()));
    match (v, dtype) {
        (OutValues::I64(ids), ColumnType::Str) => {
            let present = |i: usize| valid.is_none_or(|v| v.get(i).copied().unwrap_or(false));
            Arc::new(StringArray::from_iter(ids.iter().enumerate().map(
                |(i, &id)| {
                    usize::try_from(id)
                        .ok()
                        .filter(|_| present(i))
                        .and_then(|id| strings.get(id))
                        .map(String::as_str)
                },
            )))
        }
        (OutValues::Bool(v), _) => Arc::new(BooleanArray::new(v.into(), nulls)),
        (OutValues::I8(v), _) => Arc::new(Int8Array::new(v.into(), nulls)),
        (OutValues::U8(v), _) => Arc::new(UInt8Array::new(v.into(), nulls)),
        (OutValues::I16(v), _) => Arc::new(Int16Array::new(v.into(), nulls)),
        (OutValues::U16(v), _) => Arc::new(UInt16Array::new(v.into(), nulls)),
        (OutValues::I32(v), _) => Arc::new(Int32Array::new(v.into(), nulls)),
        (OutValues::U32(v), _) => Arc::new(UInt32Array::new(v.into(), nulls)),
        (OutValues::I64(v), _) => Arc::new(Int64Array::new(v.into(), nulls)),
        (OutValues::U64(v), _) => Arc::new(UInt64Array::new(v.into(), nulls)),
        (OutValues::F32(v), _) => Arc::new(Float32Array::new(v.into(), nulls)),
        (OutValues::F64(v), _) => Arc::new(Float64Array::new(v.into(), nulls)),
    }
}

/// A column as an Arrow array; a list column's offsets must start at 0, never decrease, end
/// at the number of values and fit Arrow's i32 offsets (see [`pieces`]). `valid` (one per
/// value: per row, or per list element) marks the missing values.
fn array(
    field: &Field,
    col: OutColumn,
    dtype: ColumnType,
    valid: Option<&[bool]>,
    strings: &[String],
) -> Result<ArrayRef, String> {
    if valid.is_some_and(|v| v.len() != col.values.len()) {
        return Err(format!(
            "validity of another length in column {}",
            field.name()
        ));
    }
    let Some(offsets) = col.offsets else {
        return Ok(values_array(col.values, dtype, valid, strings));
    };
    let DataType::List(item) = field.data_type() else {
        return Err(format!("column {} is not a list", field.name()));
    };
    let ordered = offsets.first() == Some(&0)
        && offsets
            .iter()
            .zip(offsets.iter().skip(1))
            .all(|(a, z)| a <= z);
    if !ordered || offsets.last().map(|&x| x as usize) != Some(col.values.len()) {
        return Err(format!("malformed list offsets in column {}", field.name()));
    }
    let offsets: Vec<i32> = offsets
        .iter()
        .map(|&x| i32::try_from(x))
        .collect::<Result<_, _>>()
        .map_err(|_| format!("too many list elements in column {}", field.name()))?;
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    let values = values_array(col.values, dtype, valid, strings);
    let list =
        ListArray::try_new(item.clone(), offsets, values, None).map_err(|e| e.to_string())?;
    Ok(Arc::new(list))
}

/// Arrow lists have i32 offsets: a batch whose list columns hold more than `max` elements
/// (`i32::MAX`) is cut into consecutive row ranges that hold at most `max` each (copies; a
/// chunk this large is rare). A batch that fits is returned as it is.
pub(super) fn pieces(buf: TableBuffer, max: u64) -> Result<Vec<TableBuffer>, String> {
    let fits = |c: &OutColumn| {
        c.offsets
            .as_ref()
            .is_none_or(|o| o.last().is_none_or(|&x| x <= max))
    };
    if buf.columns.iter().all(fits) {
        return Ok(vec![buf]);
    }
    let rows = buf.columns.first().map_or(0, OutColumn::rows);
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows {
        let mut end = rows;
        for c in &buf.columns {
            if let Some(o) = &c.offsets {
                let base = o.get(start).copied().unwrap_or(0);
                // The last row end whose elements since `start` are at most `max`.
                let last = o.partition_point(|&x| x.saturating_sub(base) <= max);
                end = end.min(last.saturating_sub(1));
            }
        }
        if end <= start {
            return Err(format!("a row holds more than {max} list elements"));
        }
        let columns = buf
            .columns
            .iter()
            .map(|c| slice(c, start, end))
            .collect::<Result<_, _>>()?;
        out.push(TableBuffer { columns });
        start = end;
    }
    Ok(out)
}

/// Rows `start..end` of a column, list offsets rebased to 0.
fn slice(c: &OutColumn, start: usize, end: usize) -> Result<OutColumn, String> {
    let bad = || "list offsets out of range".to_string();
    let (a, z, offsets) = match &c.offsets {
        Some(o) => {
            let o = o.get(start..=end).ok_or_else(bad)?;
            let base = o.first().copied().unwrap_or(0);
            let last = o.last().copied().unwrap_or(0);
            let a = usize::try_from(base).map_err(|_| bad())?;
            let z = usize::try_from(last).map_err(|_| bad())?;
            (
                a,
                z,
                Some(o.iter().map(|x| x.saturating_sub(base)).collect()),
            )
        }
        None => (start, end, None),
    };
    macro_rules! cut {
        ($($k:ident),*) => {
            match &c.values {
                $(OutValues::$k(v) => OutValues::$k(v.get(a..z).ok_or_else(bad)?.to_vec()),)*
            }
        };
    }
    let values = cut!(Bool, I8, U8, I16, U16, I32, U32, I64, U64, F32, F64);
    Ok(OutColumn { values, offsets })
}

impl TableWriter {
    /// A writer for `spec` under `root/<name>/`; the folder is created now.
    pub fn new(
        root: &Path,
        spec: &TableSpec,
        strings: Arc<Vec<String>>,
        rows_per_part: usize,
    ) -> Result<TableWriter, OutputError> {
        let dir = root.join(&spec.name);
        std::fs::create_dir_all(&dir).map_err(|e| OutputError::io(&dir, e))?;
        let layout = Layout::new(spec, strings);
        Ok(TableWriter {
            dir,
            name: spec.name.clone(),
            schema: layout.schema.clone(),
            layout,
            rows_per_part: rows_per_part.max(1),
            writer: None,
            rows_in_part: 0,
            parts: 0,
            rows: 0,
        })
    }

    fn open_part(&mut self) -> Result<(), OutputError> {
        let path = self.dir.join(format!("part-{:05}.parquet", self.parts));
        let file = File::create(&path).map_err(|e| OutputError::io(&path, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            // Physics values are nearly all distinct: dictionaries only cost time (measured:
            // the dictionary encoder was the merging thread's largest cost).
            .set_dictionary_enabled(false)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(file, self.schema.clone(), Some(props))
            .map_err(|e| OutputError::parquet(&path, e))?;
        self.writer = Some(writer);
        self.parts += 1;
        self.rows_in_part = 0;
        Ok(())
    }

    fn close_part(&mut self) -> Result<(), OutputError> {
        if let Some(w) = self.writer.take() {
            w.close().map_err(|e| OutputError::parquet(&self.dir, e))?;
        }
        Ok(())
    }

    /// Appends a batch's rows after those already written, rolling to a new part file when
    /// the current one is full.
    pub fn append(&mut self, buf: TableBuffer) -> Result<(), OutputError> {
        for batch in self.layout.batches(buf)? {
            self.write(&batch)?;
        }
        Ok(())
    }

    /// Appends a table kept in memory (see [`Table`]).
    pub fn append_table(&mut self, table: &Table) -> Result<(), OutputError> {
        if table.batch.schema() != self.schema {
            return Err(OutputError::Table {
                table: self.name.clone(),
                message: "rows of another table".into(),
            });
        }
        self.write(&table.batch)
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            if self.writer.is_none() || self.rows_in_part >= self.rows_per_part {
                self.close_part()?;
                self.open_part()?;
            }
            let take = (self.rows_per_part - self.rows_in_part).min(batch.num_rows() - offset);
            let slice = batch.slice(offset, take);
            if let Some(w) = &mut self.writer {
                w.write(&slice)
                    .map_err(|e| OutputError::parquet(&self.dir, e))?;
            }
            self.rows_in_part += take;
            self.rows += take as u64;
            offset += take;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<TableSummary, OutputError> {
        if self.parts == 0 {
            self.open_part()?;
        }
        self.close_part()?;
        Ok(TableSummary {
            name: self.name,
            rows: self.rows,
            parts: self.parts,
        })
    }
}
