# bash completion for l2tpctl. The candidates come from l2tpctl itself
# (`l2tpctl __complete WORD...`), which knows the verbs, the option keys and
# their values, and asks the running daemon for object names.
_l2tpctl() {
    local cur words cword
    _get_comp_words_by_ref -n =: cur words cword
    local IFS=$'\n'
    COMPREPLY=($(l2tpctl __complete "${words[@]:1:cword}" 2>/dev/null))
    # KEY= and --option= want their value next, without a space.
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
        compopt -o nospace
    fi
    # bash replaces only what follows the last "=" of the word.
    if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
        COMPREPLY=("${COMPREPLY[@]#"${cur%=*}="}")
    fi
}
complete -F _l2tpctl l2tpctl
