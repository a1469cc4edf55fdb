namespace Nabla.Text;

/// <summary>What a token is (d2l's <c>tokenize(lines, token)</c> argument).</summary>
public enum TokenLevel
{
    /// <summary>Words: the line split on whitespace (<c>token='word'</c>).</summary>
    Word,

    /// <summary>Characters, spaces included (<c>token='char'</c>).</summary>
    Char,
}
